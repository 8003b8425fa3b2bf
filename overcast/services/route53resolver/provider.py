"""Route 53 Resolver: endpoints, resolver rules and their VPC associations, DNS Firewall (domain
lists, rule groups, rules, associations), query logging, and the per-VPC configs.

What AWS executes, Overcast's one DNS server (the Route 53 service's) executes too, through
`dnspolicy.Policy`: FORWARD rules associated with a VPC forward matching queries over UDP to their
target addresses; firewall rule groups associated with a VPC allow, block or alert on queries in
priority order; query logging configs associated with a VPC write each answered query to their
CloudWatch Logs group. Overcast has one resolver for every VPC, so a rule, rule group or logging
config associated with any VPC applies to every query the DNS server answers (the VPC named in a
query log line is the association's)."""

from __future__ import annotations

import ipaddress
import json
import secrets
from typing import Any

from overcast.common import pagination
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.route53resolver.dnspolicy import Policy
from overcast.services.route53resolver.operations import ConfigOperations, FirewallOperations
from overcast.services.route53resolver.util import domain as _domain
from overcast.services.route53resolver.util import error as _error
from overcast.services.route53resolver.util import invalid as _invalid
from overcast.services.route53resolver.util import not_found
from overcast.services.route53resolver.util import now as _now
from overcast.store import scope as store_scope

MAX_TAGS = 200
MAX_DOMAINS = 100_000
#: kind → (id prefix, ARN resource type, the words of its not-found message)
KINDS: dict[str, tuple[str, str, str]] = {
    "endpoints": ("rslvr-{dir}-", "resolver-endpoint", "Resolver endpoint"),
    "rules": ("rslvr-rr-", "resolver-rule", "Resolver rule"),
    "rule_associations": ("rslvr-rrassoc-", "", "Resolver rule association"),
    "qlcs": ("rslvr-rqlc-", "resolver-query-log-config", "Resolver query logging configuration"),
    "qlc_associations": ("rslvr-qlcassoc-", "", "Resolver query logging configuration association"),
    "domain_lists": ("rslvr-fdl-", "firewall-domain-list", "Firewall domain list"),
    "rule_groups": ("rslvr-frg-", "firewall-rule-group", "Firewall rule group"),
    "rg_associations": (
        "rslvr-frgassoc-",
        "firewall-rule-group-association",
        "Firewall rule group association",
    ),
    "outposts": ("rslvr-op-", "outpost-resolver", "Outpost resolver"),
}
#: An endpoint's switches, shown once set.
FLAGS = (
    "RniEnhancedMetricsEnabled",
    "TargetNameServerMetricsEnabled",
    "Dns64Enabled",
    "Ipv6InternetAccessEnabled",
)
RULE_FIELDS = (
    "Name",
    "FirewallDomainListId",
    "Priority",
    "Action",
    "BlockResponse",
    "BlockOverrideDomain",
    "BlockOverrideDnsType",
    "BlockOverrideTtl",
    "FirewallDomainRedirectionAction",
    "Qtype",
    "FirewallRuleType",
)
ENDPOINT_FILTERS = {
    "CreatorRequestId": "CreatorRequestId",
    "Direction": "Direction",
    "HostVPCId": "HostVPCId",
    "Name": "Name",
    "Status": "Status",
    "ResolverEndpointType": "ResolverEndpointType",
}
RULE_FILTERS = {
    "CreatorRequestId": "CreatorRequestId",
    "DomainName": "DomainName",
    "Name": "Name",
    "ResolverEndpointId": "ResolverEndpointId",
    "Status": "Status",
    "Type": "RuleType",
}
RULE_ASSOCIATION_FILTERS = {
    "Name": "Name",
    "ResolverRuleId": "ResolverRuleId",
    "Status": "Status",
    "VPCId": "VPCId",
}


class Provider(FirewallOperations, ConfigOperations, BaseProvider):
    service = "route53resolver"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.tables = {kind: table("route53resolver", kind) for kind in KINDS}
        #: keyed `{rule group id}/{domain list id}`
        self.fw_rules = table("route53resolver", "firewall_rules")
        #: keyed by domain list id: the sorted domains
        self.domains = table("route53resolver", "domains")
        #: per-VPC configs, keyed `{kind}/{vpc id}`
        self.vpc_configs = table("route53resolver", "vpc_configs")
        self.policies = table("route53resolver", "policies")
        self.tags = table("route53resolver", "tags")
        self.policy = Policy(runtime)
        self._hooked = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.refresh()

    def reset(self) -> None:
        self.refresh()

    def state_replaced(self) -> None:
        self.refresh()

    def stop(self) -> None:
        self.policy.close()

    def refresh(self) -> None:
        """Give the DNS server the rules, firewall and logging that associations put in force."""
        forwards: list[tuple[str, str, list[tuple[str, int]]]] = []
        systems: list[str] = []
        firewall: list[tuple[int, int, dict[str, Any], frozenset[str] | None, str]] = []
        logging: list[tuple[str, str, str, str]] = []
        for scope in self.tables["rule_associations"].scopes():
            account = scope.split("/", 1)[0] if "/" in scope else scope
            for _, assoc in self.tables["rule_associations"].scan(scope):
                rule = self.tables["rules"].get(scope, assoc["ResolverRuleId"])
                if rule is None:
                    continue
                if rule["RuleType"] == "FORWARD":
                    # Queries go out over UDP (Do53) whatever the target's Protocol names.
                    targets = [
                        (t.get("Ip") or t["Ipv6"], int(t.get("Port", 53)))
                        for t in rule.get("TargetIps") or []
                        if t.get("Ip") or t.get("Ipv6")
                    ]
                    forwards.append((rule["DomainName"], rule["Id"], targets))
                elif rule["RuleType"] == "SYSTEM":
                    systems.append(rule["DomainName"])
            del account
        for scope in self.tables["rg_associations"].scopes():
            for _, assoc in self.tables["rg_associations"].scan(scope):
                for _, rule in self.fw_rules.scan(scope, assoc["FirewallRuleGroupId"] + "/"):
                    domains = self.domains.get(scope, rule.get("FirewallDomainListId", "")) or []
                    listed = None if "*" in domains else frozenset(domains)
                    firewall.append(
                        (assoc["Priority"], rule["Priority"], rule, listed, assoc["FirewallRuleGroupId"])
                    )
        for scope in self.tables["qlc_associations"].scopes():
            account, _, region = scope.partition("/")
            for _, assoc in self.tables["qlc_associations"].scan(scope):
                config = self.tables["qlcs"].get(scope, assoc["ResolverQueryLogConfigId"])
                if config is not None:
                    logging.append(
                        (account, region or "us-east-1", assoc["ResourceId"], config["DestinationArn"])
                    )
        firewall.sort(key=lambda entry: (entry[0], entry[1]))
        self.policy.load(forwards, systems, firewall, logging)
        if not self.policy.active and not self._hooked:
            return  # nothing in force, and nothing to take back from the DNS server
        self._hooked = self.policy.active
        try:
            route53 = self.runtime.provider("route53")
        except Exception:  # Route 53 is not among the services started
            return
        route53.engine.resolver = self.policy if self.policy.active else None
        self.policy.own_address = lambda: route53.dns.bound if route53.dns is not None else None
        if self.policy.active:
            route53.ensure_dns()

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def _page(self, operation: str, params: dict, items: list[Any], bind: str = "") -> dict[str, Any]:
        return pagination.paginate_list(
            self.store,
            "route53resolver",
            operation,
            params,
            items,
            bad_token=lambda: _invalid("Invalid value for NextToken"),
            default_limit=100,
            bind=bind,
        )

    def _get(self, context: RequestContext, kind: str, ident: str) -> dict[str, Any]:
        row = self.tables[kind].get(self.scope_of(context), ident or "")
        if row is None:
            raise not_found(KINDS[kind][2], ident)
        return dict(row)

    def _all(self, context: RequestContext, kind: str) -> list[dict[str, Any]]:
        rows = [row for _, row in self.tables[kind].scan(self.scope_of(context))]
        return sorted(rows, key=lambda row: (row.get("CreationTime") or "", row["Id"]))

    def _put(self, context: RequestContext, kind: str, row: dict[str, Any]) -> None:
        self.tables[kind].put(self.scope_of(context), row["Id"], row)

    def _new(
        self, context: RequestContext, kind: str, prefix_args: dict[str, str] | None = None
    ) -> tuple[str, str]:
        prefix = KINDS[kind][0].format(**(prefix_args or {}))
        ident = prefix + secrets.token_hex(9)[:17]
        arn = build_arn("route53resolver", context.region, context.account, f"{KINDS[kind][1]}/{ident}")
        return ident, arn

    def _unique_request(self, context: RequestContext, kind: str, creator: str) -> None:
        for row in self._all(context, kind):
            if row.get("CreatorRequestId") == creator:
                raise _error(
                    "ResourceExistsException",
                    f'[RSLVR-00000] The resource with CreatorRequestId "{creator}" already exists.',
                )

    @staticmethod
    def _filtered(
        rows: list[dict[str, Any]], filters: list[dict[str, Any]] | None, fields: dict[str, str]
    ) -> list:
        for flt in filters or []:
            name = flt.get("Name", "")
            values = flt.get("Values") or []
            # Early Resolver spelled filter names CREATOR_REQUEST_ID; AWS still takes that form.
            folded = {key.lower(): value for key, value in fields.items()}
            field = fields.get(name) or folded.get(name.replace("_", "").lower())
            if field is None:
                raise _invalid(f"The filter '{name}' is invalid")
            rows = [
                row for row in rows if str(row.get(field)) in values or _domain_eq(row.get(field), values)
            ]
        return rows

    def _vpc(self, context: RequestContext, vpc_id: str) -> None:
        if self.runtime.provider("ec2").find_vpc(context.account, context.region, vpc_id) is None:
            raise _invalid(f"[RSLVR-00000] The vpc ID '{vpc_id}' does not exist")

    # -- tags and policies ----------------------------------------------------------------------

    def _resource_of_arn(self, context: RequestContext, arn: str) -> tuple[str, str] | None:
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "route53resolver" or "/" not in parsed.resource:
            return None
        rtype, ident = parsed.resource.split("/", 1)
        for kind, (_, arn_type, _) in KINDS.items():
            if arn_type == rtype and arn_type:
                if parsed.account == context.account and self.tables[kind].get(self.scope_of(context), ident):
                    return kind, ident
        return None

    def _tagged(self, context: RequestContext, arn: str) -> None:
        if self._resource_of_arn(context, arn) is None:
            raise _error(
                "ResourceNotFoundException", f'[RSLVR-00000] Resource with ARN "{arn}" does not exist.'
            )

    def _set_tags(self, context: RequestContext, arn: str, given: list[dict[str, Any]] | None) -> None:
        if not given:
            return
        tags = dict(self.tags.get(self.scope_of(context), arn) or {})
        for tag in given:
            tags[tag["Key"]] = tag["Value"]
        if len(tags) > MAX_TAGS:
            raise _error(
                "LimitExceededException", f"[RSLVR-00000] The resource can have at most {MAX_TAGS} tags."
            )
        self.tags.put(self.scope_of(context), arn, tags)

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            self._tagged(context, params["ResourceArn"])
            self._set_tags(context, params["ResourceArn"], params["Tags"])
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            self._tagged(context, params["ResourceArn"])
            tags = dict(self.tags.get(self.scope_of(context), params["ResourceArn"]) or {})
            for key in params["TagKeys"]:
                tags.pop(key, None)
            self.tags.put(self.scope_of(context), params["ResourceArn"], tags)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        self._tagged(context, params["ResourceArn"])
        tags = self.tags.get(self.scope_of(context), params["ResourceArn"]) or {}
        items = [{"Key": k, "Value": v} for k, v in tags.items()]
        page = self._page("ListTagsForResource", params, items, bind=params["ResourceArn"])
        return page

    def _put_policy(self, context: RequestContext, arn: str, policy: str, kinds: tuple[str, ...]) -> dict:
        found = self._resource_of_arn(context, arn)
        if found is None or found[0] not in kinds:
            raise _invalid(f'[RSLVR-00000] The ARN "{arn}" is not valid.')
        try:
            json.loads(policy)
        except ValueError:
            raise _error(
                "InvalidPolicyDocument", "[RSLVR-00000] The policy document is not valid JSON."
            ) from None
        self.policies.put(self.scope_of(context), arn, policy)
        return {"ReturnValue": True}

    def _get_policy(self, context: RequestContext, arn: str, kinds: tuple[str, ...]) -> str:
        found = self._resource_of_arn(context, arn)
        if found is None or found[0] not in kinds:
            raise _error("UnknownResourceException", f'[RSLVR-00000] The resource "{arn}" does not exist.')
        return self.policies.get(self.scope_of(context), arn) or ""

    def put_resolver_rule_policy(self, context: RequestContext, params: dict) -> dict:
        return self._put_policy(context, params["Arn"], params["ResolverRulePolicy"], ("rules",))

    def get_resolver_rule_policy(self, context: RequestContext, params: dict) -> dict:
        return {"ResolverRulePolicy": self._get_policy(context, params["Arn"], ("rules",))}

    def put_resolver_query_log_config_policy(self, context: RequestContext, params: dict) -> dict:
        return self._put_policy(context, params["Arn"], params["ResolverQueryLogConfigPolicy"], ("qlcs",))

    def get_resolver_query_log_config_policy(self, context: RequestContext, params: dict) -> dict:
        return {"ResolverQueryLogConfigPolicy": self._get_policy(context, params["Arn"], ("qlcs",))}

    def put_firewall_rule_group_policy(self, context: RequestContext, params: dict) -> dict:
        return self._put_policy(context, params["Arn"], params["FirewallRuleGroupPolicy"], ("rule_groups",))

    def get_firewall_rule_group_policy(self, context: RequestContext, params: dict) -> dict:
        return {"FirewallRuleGroupPolicy": self._get_policy(context, params["Arn"], ("rule_groups",))}

    # -- endpoints ------------------------------------------------------------------------------

    @staticmethod
    def _check_ip(subnet: dict[str, Any], wanted: str) -> None:
        network = ipaddress.ip_network(subnet["CidrBlock"], strict=False)
        try:
            address = ipaddress.ip_address(wanted)
        except ValueError:
            raise _invalid(f"[RSLVR-00000] The IP address '{wanted}' is not valid.") from None
        reserved = {network.network_address + i for i in range(4)} | {network.broadcast_address}
        if address not in network or address in reserved:
            raise _invalid(
                f"[RSLVR-00000] The IP address '{wanted}' is not in the usable range of subnet {subnet['SubnetId']}."
            )

    def _ip_entry(
        self,
        context: RequestContext,
        request: dict[str, Any],
        vpc: str | None,
        groups: list[str],
        endpoint: str,
    ) -> dict:
        """One of an endpoint's addresses: a network interface in the subnet (EC2 picks the
        address unless one is asked for), as AWS makes one per address."""
        subnet_id = request.get("SubnetId", "")
        ec2 = self.runtime.provider("ec2")
        subnet = ec2.find_subnet(context.account, context.region, subnet_id)
        if subnet is None:
            raise _invalid(f"[RSLVR-00000] The subnet ID '{subnet_id}' does not exist")
        if vpc is not None and subnet["VpcId"] != vpc:
            raise _invalid("[RSLVR-00000] All subnets of a resolver endpoint must be in the same VPC.")
        wanted = request.get("Ip")
        if wanted:
            self._check_ip(subnet, wanted)
        ident = "rni-" + secrets.token_hex(9)[:17]
        eni_params: dict[str, Any] = {
            "SubnetId": subnet_id,
            "Groups": groups,
            "Description": f"Route 53 Resolver: {endpoint}:{ident}",
        }
        if wanted:
            eni_params["PrivateIpAddress"] = wanted
        try:
            eni = ec2.create_network_interface(
                RequestContext.internal("ec2", context.account, context.region), eni_params
            )["NetworkInterface"]
        except ServiceError as failure:
            if failure.code.endswith("InUse"):
                raise _error(
                    "ResourceExistsException", f"[RSLVR-00000] The IP address '{wanted}' is already in use."
                ) from None
            raise _invalid(f"[RSLVR-00000] {failure.message}") from None
        moment = _now()
        entry = {
            "IpId": ident,
            "SubnetId": subnet_id,
            "Ip": eni["PrivateIpAddress"],
            "Status": "ATTACHED",
            "StatusMessage": "This IP address is operational.",
            "CreationTime": moment,
            "ModificationTime": moment,
            "_vpc": subnet["VpcId"],
            "_eni": eni["NetworkInterfaceId"],
        }
        if request.get("Ipv6"):
            entry["Ipv6"] = request["Ipv6"]
        return entry

    def _release(self, context: RequestContext, ips: list[dict[str, Any]]) -> None:
        ec2 = self.runtime.provider("ec2")
        for ip in ips:
            if ip.get("_eni"):
                try:
                    ec2.delete_network_interface(
                        RequestContext.internal("ec2", context.account, context.region),
                        {"NetworkInterfaceId": ip["_eni"]},
                    )
                except ServiceError:  # already gone with its subnet
                    pass

    @staticmethod
    def _endpoint_view(row: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in row.items() if not k.startswith("_")}
        view["IpAddressCount"] = len(row["_ips"])
        return view

    def create_resolver_endpoint(self, context: RequestContext, params: dict) -> dict:
        direction = params["Direction"]
        requests = params["IpAddresses"]
        if len(requests) < 2:
            raise _invalid("[RSLVR-00000] A resolver endpoint needs at least two IP addresses.")
        if params.get("OutpostArn") or params.get("PreferredInstanceType"):
            if not (params.get("OutpostArn") and params.get("PreferredInstanceType")):
                raise _invalid("[RSLVR-00000] OutpostArn and PreferredInstanceType go together.")
            self._outpost_arn(params["OutpostArn"])
        ec2 = self.runtime.provider("ec2")
        for group in params["SecurityGroupIds"]:
            if not group.startswith("sg-"):
                raise _invalid(
                    f'[RSLVR-00408] Malformed security group ID: "Invalid id: "{group}" (expecting "sg-...")".'
                )
            if ec2.find_security_group(context.account, context.region, group) is None:
                raise _invalid(f"[RSLVR-00000] The security group '{group}' does not exist")
        with self.store.transaction():
            self._unique_request(context, "endpoints", params["CreatorRequestId"])
            first = ec2.find_subnet(context.account, context.region, requests[0].get("SubnetId", ""))
            vpc = first["VpcId"] if first else None
            for group in params["SecurityGroupIds"]:
                found = ec2.find_security_group(context.account, context.region, group) or {}
                if vpc is not None and found.get("VpcId") not in (vpc, None):
                    raise _invalid(
                        f"[RSLVR-00000] The security group '{group}' is not in the endpoint's VPC."
                    )
            ident, arn = self._new(context, "endpoints", {"dir": "in" if direction == "INBOUND" else "out"})
            groups = list(params["SecurityGroupIds"])
            ips: list[dict[str, Any]] = []
            for request in requests:
                ips.append(self._ip_entry(context, request, ips[0]["_vpc"] if ips else None, groups, ident))
            vpc = ips[0]["_vpc"]
            moment = _now()
            row: dict[str, Any] = {
                "Id": ident,
                "CreatorRequestId": params["CreatorRequestId"],
                "Arn": arn,
                "SecurityGroupIds": params["SecurityGroupIds"],
                "Direction": direction,
                "HostVPCId": vpc,
                "Status": "OPERATIONAL",
                "StatusMessage": "This Resolver Endpoint is operational.",
                "CreationTime": moment,
                "ModificationTime": moment,
                "ResolverEndpointType": params.get("ResolverEndpointType", "IPV4"),
                "Protocols": params.get("Protocols") or ["Do53"],
                "_ips": ips,
            }
            for key in ("Name", "OutpostArn", "PreferredInstanceType"):
                if params.get(key):
                    row[key] = params[key]
            for key in FLAGS:
                if key in params:
                    row[key] = bool(params[key])
            self._put(context, "endpoints", row)
            self._set_tags(context, arn, params.get("Tags"))
        view = self._endpoint_view(row)
        view.update(Status="CREATING", StatusMessage="[Trace id: creating] Creating the Resolver Endpoint")
        return {"ResolverEndpoint": view}

    def get_resolver_endpoint(self, context: RequestContext, params: dict) -> dict:
        return {
            "ResolverEndpoint": self._endpoint_view(
                self._get(context, "endpoints", params["ResolverEndpointId"])
            )
        }

    def list_resolver_endpoints(self, context: RequestContext, params: dict) -> dict:
        rows = self._all(context, "endpoints")
        special = {"ipaddress": "IpAddress", "securitygroupids": "SecurityGroupIds"}
        ip_filters = [
            {**f, "Name": special[f["Name"].replace("_", "").lower()]}
            for f in params.get("Filters") or []
            if f.get("Name", "").replace("_", "").lower() in special
        ]
        others = [
            f
            for f in params.get("Filters") or []
            if f.get("Name", "").replace("_", "").lower() not in special
        ]
        rows = self._filtered(rows, others, ENDPOINT_FILTERS)
        for flt in ip_filters:
            values = set(flt.get("Values") or [])
            if flt["Name"] == "IpAddress":
                rows = [r for r in rows if values & {ip["Ip"] for ip in r["_ips"]}]
            else:
                rows = [r for r in rows if values & set(r["SecurityGroupIds"])]
        page = self._page("ListResolverEndpoints", params, [self._endpoint_view(r) for r in rows])
        page["MaxResults"] = params.get("MaxResults", 100)
        return page

    def update_resolver_endpoint(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._get(context, "endpoints", params["ResolverEndpointId"])
            for key in (
                "Name",
                "ResolverEndpointType",
                "Protocols",
                *FLAGS,
            ):
                if key in params:
                    row[key] = params[key]
            for update in params.get("UpdateIpAddresses") or []:
                for ip in row["_ips"]:
                    if ip["IpId"] == update.get("IpId"):
                        ip["Ipv6"] = update.get("Ipv6")
            row["ModificationTime"] = _now()
            self._put(context, "endpoints", row)
        return {"ResolverEndpoint": self._endpoint_view(row)}

    def delete_resolver_endpoint(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._get(context, "endpoints", params["ResolverEndpointId"])
            for rule in self._all(context, "rules"):
                if rule.get("ResolverEndpointId") == row["Id"]:
                    raise _error(
                        "InvalidRequestException",
                        f"[RSLVR-00000] Cannot delete resolver endpoint {row['Id']}: resolver rule {rule['Id']} uses it.",
                    )
            self.tables["endpoints"].delete(self.scope_of(context), row["Id"])
            self.tags.delete(self.scope_of(context), row["Arn"])
            self._release(context, row["_ips"])
        view = self._endpoint_view(row)
        view.update(Status="DELETING", StatusMessage="[Trace id: deleting] Deleting the Resolver Endpoint")
        return {"ResolverEndpoint": view}

    def associate_resolver_endpoint_ip_address(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._get(context, "endpoints", params["ResolverEndpointId"])
            if len(row["_ips"]) >= 6:
                raise _error(
                    "LimitExceededException", "[RSLVR-00000] A resolver endpoint has at most 6 IP addresses."
                )
            request = params["IpAddress"]
            if not request.get("SubnetId"):
                raise _invalid("[RSLVR-00000] SubnetId is required.")
            row["_ips"].append(
                self._ip_entry(context, request, row["HostVPCId"], list(row["SecurityGroupIds"]), row["Id"])
            )
            row["ModificationTime"] = _now()
            self._put(context, "endpoints", row)
        return {"ResolverEndpoint": self._endpoint_view(row)}

    def disassociate_resolver_endpoint_ip_address(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._get(context, "endpoints", params["ResolverEndpointId"])
            request = params["IpAddress"]
            keep = [
                ip
                for ip in row["_ips"]
                if not (
                    ip["IpId"] == request.get("IpId") or (request.get("Ip") and ip["Ip"] == request["Ip"])
                )
            ]
            if len(keep) == len(row["_ips"]):
                raise _error(
                    "ResourceNotFoundException", "[RSLVR-00000] The IP address is not on this endpoint."
                )
            if len(keep) < 2:
                raise _error(
                    "InvalidRequestException",
                    "[RSLVR-00000] A resolver endpoint needs at least two IP addresses.",
                )
            self._release(context, [ip for ip in row["_ips"] if ip not in keep])
            row["_ips"] = keep
            row["ModificationTime"] = _now()
            self._put(context, "endpoints", row)
        return {"ResolverEndpoint": self._endpoint_view(row)}

    def list_resolver_endpoint_ip_addresses(self, context: RequestContext, params: dict) -> dict:
        row = self._get(context, "endpoints", params["ResolverEndpointId"])
        items = [{k: v for k, v in ip.items() if not k.startswith("_")} for ip in row["_ips"]]
        page = self._page("ListResolverEndpointIpAddresses", params, items, bind=row["Id"])
        page["MaxResults"] = params.get("MaxResults", 100)
        return page

    # -- resolver rules -------------------------------------------------------------------------

    def _check_forward(self, context: RequestContext, rule: dict[str, Any]) -> None:
        if rule["RuleType"] == "FORWARD":
            if not rule.get("TargetIps"):
                raise _invalid("[RSLVR-00000] A FORWARD rule needs TargetIps.")
        elif rule.get("TargetIps"):
            raise _invalid(f"[RSLVR-00000] Cannot specify TargetIps for rule type {rule['RuleType']}.")
        for target in rule.get("TargetIps") or []:
            target.setdefault("Port", 53)
            if not target.get("Ip") and not target.get("Ipv6"):
                raise _invalid("[RSLVR-00000] A target needs an Ip or an Ipv6 address.")
            try:
                ipaddress.ip_address(target.get("Ip") or target.get("Ipv6"))
            except ValueError:
                raise _invalid(
                    f"[RSLVR-00000] The IP address '{target.get('Ip') or target.get('Ipv6')}' is not valid."
                ) from None
        endpoint_id = rule.get("ResolverEndpointId")
        if endpoint_id:
            endpoint = self._get(context, "endpoints", endpoint_id)
            if endpoint["Direction"] != "OUTBOUND":
                raise _error(
                    "InvalidRequestException",
                    "[RSLVR-00700] Resolver rules can only be associated to OUTBOUND resolver endpoints.",
                )

    def create_resolver_rule(self, context: RequestContext, params: dict) -> dict:
        kind = params["RuleType"]
        if kind == "DELEGATE":
            raise _invalid(
                "[RSLVR-00000] DELEGATE rules need an inbound delegation endpoint, which Overcast does not run."
            )
        if not params.get("DomainName"):
            raise _invalid("[RSLVR-00000] DomainName is required.")
        with self.store.transaction():
            self._unique_request(context, "rules", params["CreatorRequestId"])
            ident, arn = self._new(context, "rules")
            moment = _now()
            row: dict[str, Any] = {
                "Id": ident,
                "CreatorRequestId": params["CreatorRequestId"],
                "Arn": arn,
                "DomainName": _domain(params["DomainName"]),
                "Status": "COMPLETE",
                "StatusMessage": "[Trace id: complete] Successfully created Resolver Rule",
                "RuleType": kind,
                "OwnerId": context.account,
                "ShareStatus": "NOT_SHARED",
                "CreationTime": moment,
                "ModificationTime": moment,
            }
            if params.get("Name"):
                row["Name"] = params["Name"]
            if params.get("TargetIps"):
                row["TargetIps"] = [dict(t) for t in params["TargetIps"]]
            if params.get("ResolverEndpointId"):
                row["ResolverEndpointId"] = params["ResolverEndpointId"]
            self._check_forward(context, row)
            self._put(context, "rules", row)
            self._set_tags(context, arn, params.get("Tags"))
        return {"ResolverRule": row}

    def get_resolver_rule(self, context: RequestContext, params: dict) -> dict:
        return {"ResolverRule": self._get(context, "rules", params["ResolverRuleId"])}

    def list_resolver_rules(self, context: RequestContext, params: dict) -> dict:
        rows = self._filtered(self._all(context, "rules"), params.get("Filters"), RULE_FILTERS)
        page = self._page("ListResolverRules", params, rows)
        page["MaxResults"] = params.get("MaxResults", 100)
        return page

    def update_resolver_rule(self, context: RequestContext, params: dict) -> dict:
        config = params["Config"]
        with self.store.transaction():
            row = self._get(context, "rules", params["ResolverRuleId"])
            if row["RuleType"] != "FORWARD" and (config.get("TargetIps") or config.get("ResolverEndpointId")):
                raise _invalid(f"[RSLVR-00000] Cannot set targets on a {row['RuleType']} rule.")
            for key in ("Name", "TargetIps", "ResolverEndpointId"):
                if key in config:
                    row[key] = [dict(t) for t in config[key]] if key == "TargetIps" else config[key]
            self._check_forward(context, row)
            row["ModificationTime"] = _now()
            self._put(context, "rules", row)
        self.refresh()
        return {"ResolverRule": row}

    def delete_resolver_rule(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._get(context, "rules", params["ResolverRuleId"])
            for assoc in self._all(context, "rule_associations"):
                if assoc["ResolverRuleId"] == row["Id"]:
                    raise _error(
                        "ResourceInUseException",
                        f"[RSLVR-00000] Cannot delete resolver rule {row['Id']}: it is associated with {assoc['VPCId']}.",
                    )
            self.tables["rules"].delete(self.scope_of(context), row["Id"])
            self.tags.delete(self.scope_of(context), row["Arn"])
            self.policies.delete(self.scope_of(context), row["Arn"])
        row.update(Status="DELETING", StatusMessage="[Trace id: deleting] Deleting Resolver Rule")
        return {"ResolverRule": row}

    def associate_resolver_rule(self, context: RequestContext, params: dict) -> dict:
        vpc = params["VPCId"]
        with self.store.transaction():
            rule = self._get(context, "rules", params["ResolverRuleId"])
            self._vpc(context, vpc)
            for assoc in self._all(context, "rule_associations"):
                if assoc["VPCId"] == vpc and assoc["ResolverRuleId"] == rule["Id"]:
                    raise _error(
                        "ResourceExistsException",
                        f"[RSLVR-00000] The resolver rule {rule['Id']} is already associated with the VPC {vpc}.",
                    )
                other = self.tables["rules"].get(self.scope_of(context), assoc["ResolverRuleId"])
                if assoc["VPCId"] == vpc and other and other["DomainName"] == rule["DomainName"]:
                    raise _error(
                        "ResourceExistsException",
                        f"[RSLVR-00000] The VPC {vpc} already has a rule for {rule['DomainName']}.",
                    )
            ident, _ = self._new(context, "rule_associations")
            row: dict[str, Any] = {
                "Id": ident,
                "ResolverRuleId": rule["Id"],
                "VPCId": vpc,
                "Status": "COMPLETE",
                "StatusMessage": "",
                "CreationTime": _now(),
            }
            if params.get("Name"):
                row["Name"] = params["Name"]
            self._put(context, "rule_associations", row)
        self.refresh()
        view = {k: v for k, v in row.items() if k != "CreationTime"}
        view["Status"] = "CREATING"
        view["StatusMessage"] = "[Trace id: creating] Creating Association"
        return {"ResolverRuleAssociation": view}

    def disassociate_resolver_rule(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            self._get(context, "rules", params["ResolverRuleId"])
            for assoc in self._all(context, "rule_associations"):
                if assoc["VPCId"] == params["VPCId"] and assoc["ResolverRuleId"] == params["ResolverRuleId"]:
                    self.tables["rule_associations"].delete(self.scope_of(context), assoc["Id"])
                    break
            else:
                raise _error(
                    "ResourceNotFoundException",
                    f'[RSLVR-00705] Resolver rule with ID "{params["ResolverRuleId"]}" is not associated with '
                    f'VPC "{params["VPCId"]}".',
                )
        self.refresh()
        view = {k: v for k, v in assoc.items() if k != "CreationTime"}
        view["Status"] = "DELETING"
        view["StatusMessage"] = "[Trace id: deleting] Deleting Association"
        return {"ResolverRuleAssociation": view}

    def get_resolver_rule_association(self, context: RequestContext, params: dict) -> dict:
        row = self._get(context, "rule_associations", params["ResolverRuleAssociationId"])
        return {"ResolverRuleAssociation": {k: v for k, v in row.items() if k != "CreationTime"}}

    def list_resolver_rule_associations(self, context: RequestContext, params: dict) -> dict:
        rows = self._filtered(
            self._all(context, "rule_associations"), params.get("Filters"), RULE_ASSOCIATION_FILTERS
        )
        items = [{k: v for k, v in row.items() if k != "CreationTime"} for row in rows]
        page = self._page("ListResolverRuleAssociations", params, items)
        page["MaxResults"] = params.get("MaxResults", 100)
        return page


def _domain_eq(value: Any, values: list[str]) -> bool:
    return isinstance(value, str) and value.endswith(".") and value in {_domain(v) for v in values}
