"""Security groups and their rules, managed prefix lists, network ACLs and their entries.

Each security group rule is a resource of its own (sgr-…, DescribeSecurityGroupRules); a group's
IpPermissions are built from its rules when it is shown, grouped as AWS groups them (one
permission per protocol and port range)."""

from __future__ import annotations

import hashlib
from typing import Any

from overcast.context import RequestContext
from overcast.services.ec2 import core
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import FILTERS, Record
from overcast.services.ec2.routing import RoutingMixin
from overcast.services.ec2.vpc import network

PROTOCOLS = {
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
    "-1": "-1",
    "all": "-1",
    "icmpv6": "icmpv6",
    "58": "icmpv6",
}
#: The AWS-managed prefix lists of every region: service suffix → name.
AWS_PREFIX_LISTS = ("s3", "dynamodb")


def _protocol(value: Any) -> str:
    text = str(value).lower() if value is not None else ""
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return text
    raise core.invalid(f"Invalid value '{value}' for IP protocol. Unknown protocol.", "InvalidParameterValue")


def _group_rules(rules: list[Record]) -> list[dict[str, Any]]:
    permissions: dict[tuple, dict[str, Any]] = {}
    for rule in rules:
        key = (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"))
        perm = permissions.get(key)
        if perm is None:
            perm = {
                "IpProtocol": rule["IpProtocol"],
                "UserIdGroupPairs": [],
                "IpRanges": [],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
            }
            if rule["IpProtocol"] != "-1":
                perm["FromPort"] = rule.get("FromPort")
                perm["ToPort"] = rule.get("ToPort")
            permissions[key] = perm
        described = {"Description": rule["Description"]} if rule.get("Description") else {}
        if rule.get("CidrIpv4"):
            perm["IpRanges"].append({"CidrIp": rule["CidrIpv4"], **described})
        elif rule.get("CidrIpv6"):
            perm["Ipv6Ranges"].append({"CidrIpv6": rule["CidrIpv6"], **described})
        elif rule.get("PrefixListId"):
            perm["PrefixListIds"].append({"PrefixListId": rule["PrefixListId"], **described})
        elif rule.get("ReferencedGroupInfo"):
            ref = rule["ReferencedGroupInfo"]
            perm["UserIdGroupPairs"].append({"GroupId": ref["GroupId"], "UserId": ref["UserId"], **described})
    return list(permissions.values())


def _sg_perm(egress: bool, field: str) -> Any:
    def get(record: Record) -> list[Any]:
        return [
            value
            for perm in record["IpPermissionsEgress" if egress else "IpPermissions"]
            for value in _perm_values(perm, field)
        ]

    return get


def _perm_values(perm: dict[str, Any], field: str) -> list[Any]:
    if field == "cidr":
        return [r["CidrIp"] for r in perm["IpRanges"]]
    if field == "ipv6-cidr":
        return [r["CidrIpv6"] for r in perm["Ipv6Ranges"]]
    if field == "from-port":
        return [perm.get("FromPort", -1)]
    if field == "to-port":
        return [perm.get("ToPort", -1)]
    if field == "protocol":
        return [perm["IpProtocol"]]
    if field == "group-id":
        return [p["GroupId"] for p in perm["UserIdGroupPairs"]]
    if field == "user-id":
        return [p["UserId"] for p in perm["UserIdGroupPairs"]]
    if field == "prefix-list-id":
        return [p["PrefixListId"] for p in perm["PrefixListIds"]]
    return []


FILTERS["sg"] = {
    "description": lambda r: r["Description"],
    "group-id": lambda r: r["GroupId"],
    "group-name": lambda r: r["GroupName"],
    "owner-id": lambda r: r["OwnerId"],
    "vpc-id": lambda r: r.get("VpcId"),
}
for _field in (
    "cidr",
    "ipv6-cidr",
    "from-port",
    "to-port",
    "protocol",
    "group-id",
    "user-id",
    "prefix-list-id",
):
    FILTERS["sg"][f"ip-permission.{_field}"] = _sg_perm(False, _field)
    FILTERS["sg"][f"egress.ip-permission.{_field}"] = _sg_perm(True, _field)
FILTERS["sgr"] = {
    "group-id": lambda r: r["GroupId"],
    "security-group-rule-id": lambda r: r["SecurityGroupRuleId"],
}
FILTERS["pl"] = {
    "owner-id": lambda r: r["OwnerId"],
    "prefix-list-id": lambda r: r["PrefixListId"],
    "prefix-list-name": lambda r: r["PrefixListName"],
}


def _acl_entries(key: str) -> Any:
    return lambda r: [e.get(key) for e in r["Entries"]]


FILTERS["acl"] = {
    "association.association-id": lambda r: [a["NetworkAclAssociationId"] for a in r["Associations"]],
    "association.network-acl-id": lambda r: [a["NetworkAclId"] for a in r["Associations"]],
    "association.subnet-id": lambda r: [a["SubnetId"] for a in r["Associations"]],
    "default": lambda r: r["IsDefault"],
    "entry.cidr": _acl_entries("CidrBlock"),
    "entry.ipv6-cidr": _acl_entries("Ipv6CidrBlock"),
    "entry.egress": _acl_entries("Egress"),
    "entry.protocol": _acl_entries("Protocol"),
    "entry.rule-action": _acl_entries("RuleAction"),
    "entry.rule-number": _acl_entries("RuleNumber"),
    "entry.port-range.from": lambda r: [e.get("PortRange", {}).get("From") for e in r["Entries"]],
    "entry.port-range.to": lambda r: [e.get("PortRange", {}).get("To") for e in r["Entries"]],
    "network-acl-id": lambda r: r["NetworkAclId"],
    "owner-id": lambda r: r["OwnerId"],
    "vpc-id": lambda r: r["VpcId"],
}


class SecurityMixin(RoutingMixin):
    # -- security groups -------------------------------------------------------------------------

    def _new_group(self, ctx: Ctx, vpc_id: str, name: str, description: str, tags: list) -> Record:
        group_id = core.new_id("sg")
        record: Record = {
            "GroupId": group_id,
            "VpcId": vpc_id,
            "SecurityGroupArn": f"arn:aws:ec2:{ctx.region}:{ctx.account}:security-group/{group_id}",
            "OwnerId": ctx.account,
            "GroupName": name,
            "Description": description,
            "_rules": [],
        }
        self.new(ctx, "sg", group_id, record, tags)
        self._add_rule(ctx, record, True, {"IpProtocol": "-1", "CidrIpv4": "0.0.0.0/0"})
        return record

    def new_default_group(self, ctx: Ctx, vpc: Record) -> Record:
        group = self._new_group(ctx, vpc["VpcId"], "default", "default VPC security group", [])
        self._add_rule(
            ctx,
            group,
            False,
            {"IpProtocol": "-1", "ReferencedGroupInfo": {"GroupId": group["GroupId"], "UserId": ctx.account}},
        )
        return group

    def _add_rule(
        self, ctx: Ctx, group: Record, egress: bool, fields: dict[str, Any], tags: list | None = None
    ) -> Record:
        rule_id = core.new_id("sgr")
        rule: Record = {
            "SecurityGroupRuleId": rule_id,
            "GroupId": group["GroupId"],
            "GroupOwnerId": ctx.account,
            "IsEgress": egress,
            "IpProtocol": fields["IpProtocol"],
            "FromPort": fields.get("FromPort", -1) if fields["IpProtocol"] != "-1" else -1,
            "ToPort": fields.get("ToPort", -1) if fields["IpProtocol"] != "-1" else -1,
            "SecurityGroupRuleArn": f"arn:aws:ec2:{ctx.region}:{ctx.account}:security-group-rule/{rule_id}",
        }
        for key in ("CidrIpv4", "CidrIpv6", "PrefixListId", "ReferencedGroupInfo", "Description"):
            if fields.get(key):
                rule[key] = fields[key]
        self.new(ctx, "sgr", rule_id, rule, tags or [])
        group["_rules"].append(rule_id)
        self.save(ctx, group)
        return rule

    def group_rules(self, ctx: Ctx, group: Record, egress: bool | None = None) -> list[Record]:
        table = ctx.state.kind("sgr")
        rules = [table[r] for r in group["_rules"] if r in table]
        return rules if egress is None else [r for r in rules if r["IsEgress"] == egress]

    def show_group(self, ctx: Ctx, group: Record) -> dict[str, Any]:
        shown = core.public(group)
        shown["IpPermissions"] = _group_rules(self.group_rules(ctx, group, False))
        shown["IpPermissionsEgress"] = _group_rules(self.group_rules(ctx, group, True))
        return shown

    def resolve_group(
        self, ctx: Ctx, group_id: str | None, group_name: str | None, vpc_id: str | None = None
    ) -> Record:
        if group_id:
            return self.get(ctx, "sg", group_id, "GroupId")
        if not group_name:
            raise core.missing("GroupId")
        if vpc_id is None:
            vpc = self.default_vpc(ctx)
            if vpc is None:
                raise core.error("VPCIdNotSpecified", "No default VPC for this user")
            vpc_id = vpc["VpcId"]
        for group in ctx.state.kind("sg").values():
            if group["GroupName"] == group_name and group["VpcId"] == vpc_id:
                return group
        raise core.error(
            "InvalidGroup.NotFound",
            f"The security group '{group_name}' does not exist in default VPC '{vpc_id}'",
        )

    def create_security_group(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        name = params.get("GroupName") or ""
        description = params.get("Description")
        if description is None:
            raise core.missing("GroupDescription")
        if name.startswith("sg-"):
            raise core.invalid("Group names may not be in the format sg-*.", "InvalidParameterValue")
        if len(name) > 255 or len(description) > 255:
            raise core.invalid("Invalid security group name or description: must be 255 characters or fewer")
        if params.get("VpcId"):
            vpc = self.get(ctx, "vpc", params["VpcId"], "VpcId")
        else:
            found = self.default_vpc(ctx)
            if found is None:
                raise core.error("VPCIdNotSpecified", "No default VPC for this user")
            vpc = found
        for group in ctx.state.kind("sg").values():
            if group["GroupName"] == name and group["VpcId"] == vpc["VpcId"]:
                raise core.error(
                    "InvalidGroup.Duplicate",
                    f"The security group '{name}' already exists for VPC '{vpc['VpcId']}'",
                )
        self.check_tag_types(params, ["security-group"])
        with self.store.transaction():
            group = self._new_group(
                ctx, vpc["VpcId"], name, description, self.tag_specs(params, "security-group")
            )
        out: dict[str, Any] = {"GroupId": group["GroupId"], "SecurityGroupArn": group["SecurityGroupArn"]}
        if group.get("Tags"):
            out["Tags"] = group["Tags"]
        return out

    def describe_security_groups(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        ids = list(params.get("GroupIds") or [])
        for name in params.get("GroupNames") or ():
            ids.append(self.resolve_group(ctx, None, name)["GroupId"])
        filters = core.compile_filters("sg", params.get("Filters"))
        shown = [self.show_group(ctx, g) for g in self.select(ctx, "sg", {}, ids)]
        shown = [g for g in shown if all(f(g) for f in filters)]
        shown, token = core.page(shown, params, "sg")
        out: dict[str, Any] = {"SecurityGroups": shown}
        if token:
            out["NextToken"] = token
        return out

    def delete_security_group(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        group = self.resolve_group(ctx, params.get("GroupId"), params.get("GroupName"))
        group_id = group["GroupId"]
        if group["GroupName"] == "default":
            raise core.error(
                "CannotDelete",
                f'the specified group: "{group_id}" name: "default" cannot be deleted by a user',
            )
        for rule in ctx.state.kind("sgr").values():
            ref = rule.get("ReferencedGroupInfo")
            if ref and ref["GroupId"] == group_id and rule["GroupId"] != group_id:
                raise core.error("DependencyViolation", f"resource {group_id} has a dependent object")
        for eni in ctx.state.kind("eni").values():
            if any(g["GroupId"] == group_id for g in eni["Groups"]):
                raise core.error("DependencyViolation", f"resource {group_id} has a dependent object")
        with self.store.transaction():
            for rule in self.group_rules(ctx, group):
                self.drop(ctx, rule)
            self.drop(ctx, group)
        return {"Return": True, "GroupId": group_id}

    def _rule_fields(self, ctx: Ctx, params: dict) -> list[dict[str, Any]]:
        """The rules an Authorize/Revoke names, one per source, each a dict of rule fields."""
        permissions = list(params.get("IpPermissions") or [])
        if params.get("IpProtocol") or params.get("CidrIp") or params.get("SourceSecurityGroupName"):
            legacy: dict[str, Any] = {"IpProtocol": params.get("IpProtocol") or "-1"}
            if params.get("FromPort") is not None:
                legacy["FromPort"] = params["FromPort"]
            if params.get("ToPort") is not None:
                legacy["ToPort"] = params["ToPort"]
            if params.get("CidrIp"):
                legacy["IpRanges"] = [{"CidrIp": params["CidrIp"]}]
            if params.get("SourceSecurityGroupName"):
                legacy["UserIdGroupPairs"] = [
                    {
                        "GroupName": params["SourceSecurityGroupName"],
                        "UserId": params.get("SourceSecurityGroupOwnerId"),
                    }
                ]
            permissions.append(legacy)
        fields: list[dict[str, Any]] = []
        for perm in permissions:
            protocol = _protocol(perm.get("IpProtocol"))
            base: dict[str, Any] = {"IpProtocol": protocol}
            if protocol in ("tcp", "udp"):
                low, high = perm.get("FromPort"), perm.get("ToPort")
                if low is None or high is None:
                    raise core.invalid(
                        "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange. Must specify both from and to ports with TCP/UDP.",
                        "InvalidParameterValue",
                    )
                if not (0 <= low <= 65535 and 0 <= high <= 65535) or low > high:
                    raise core.invalid(
                        f"Invalid value '{low}-{high}' for portRange.", "InvalidParameterValue"
                    )
                base.update(FromPort=low, ToPort=high)
            elif protocol in ("icmp", "icmpv6") or protocol != "-1":
                base.update(FromPort=perm.get("FromPort", -1), ToPort=perm.get("ToPort", -1))
            sources = []
            for item in perm.get("IpRanges") or ():
                sources.append(
                    {"CidrIpv4": self._cidr(item.get("CidrIp"), 4), "Description": item.get("Description")}
                )
            for item in perm.get("Ipv6Ranges") or ():
                sources.append(
                    {"CidrIpv6": self._cidr(item.get("CidrIpv6"), 6), "Description": item.get("Description")}
                )
            for item in perm.get("PrefixListIds") or ():
                pl = item.get("PrefixListId")
                if pl not in self.prefix_lists(ctx):
                    raise core.not_found("pl", pl or "")
                sources.append({"PrefixListId": pl, "Description": item.get("Description")})
            for item in perm.get("UserIdGroupPairs") or ():
                if item.get("GroupId"):
                    referenced = self.get(ctx, "sg", item["GroupId"], "GroupId")
                else:
                    referenced = self.resolve_group(ctx, None, item.get("GroupName"))
                sources.append(
                    {
                        "ReferencedGroupInfo": {
                            "GroupId": referenced["GroupId"],
                            "UserId": item.get("UserId") or ctx.account,
                        },
                        "Description": item.get("Description"),
                    }
                )
            if not sources:
                raise core.missing("IpPermissions sources")
            fields.extend({**base, **source} for source in sources)
        if not fields:
            raise core.missing("IpPermissions")
        return fields

    @staticmethod
    def _cidr(value: str | None, version: int) -> str:
        if not value:
            raise core.missing("CidrIp")
        block = network(value, "cidrIp")
        if block.version != version:
            raise core.invalid(f"CIDR block {value} is malformed", "InvalidParameterValue")
        return value

    @staticmethod
    def _same_rule(rule: Record, fields: dict[str, Any]) -> bool:
        if rule["IpProtocol"] != fields["IpProtocol"]:
            return False
        if fields["IpProtocol"] != "-1" and (
            rule.get("FromPort") != fields.get("FromPort", -1)
            or rule.get("ToPort") != fields.get("ToPort", -1)
        ):
            return False
        for key in ("CidrIpv4", "CidrIpv6", "PrefixListId"):
            if rule.get(key) != fields.get(key):
                return False
        ref, wanted = rule.get("ReferencedGroupInfo"), fields.get("ReferencedGroupInfo")
        return (ref or {}).get("GroupId") == (wanted or {}).get("GroupId")

    def _authorize(self, context: RequestContext, params: dict, egress: bool) -> dict:
        ctx = self.ctx(context)
        group = self.resolve_group(ctx, params.get("GroupId"), params.get("GroupName"))
        fields = self._rule_fields(ctx, params)
        existing = self.group_rules(ctx, group, egress)
        for item in fields:
            if any(self._same_rule(rule, item) for rule in existing):
                peer = (
                    item.get("CidrIpv4")
                    or item.get("CidrIpv6")
                    or item.get("PrefixListId")
                    or item["ReferencedGroupInfo"]["GroupId"]
                )
                protocol = item["IpProtocol"].upper() if item["IpProtocol"] != "-1" else "ALL"
                ports = (
                    f", from port: {item['FromPort']}, to port: {item['ToPort']}"
                    if item["IpProtocol"] in ("tcp", "udp")
                    else ""
                )
                raise core.error(
                    "InvalidPermission.Duplicate",
                    f'the specified rule "peer: {peer}, {protocol}{ports}, ALLOW" already exists',
                )
        if len(existing) + len(fields) > 60:
            raise core.error(
                "RulesPerSecurityGroupLimitExceeded",
                "The maximum number of rules per security group has been reached.",
            )
        tags = self.tag_specs(params, "security-group-rule")
        with self.store.transaction():
            created = [self._add_rule(ctx, group, egress, item, list(tags)) for item in fields]
        return {"Return": True, "SecurityGroupRules": [core.public(r) for r in created]}

    def authorize_security_group_ingress(self, context: RequestContext, params: dict) -> dict:
        return self._authorize(context, params, False)

    def authorize_security_group_egress(self, context: RequestContext, params: dict) -> dict:
        return self._authorize(context, params, True)

    def _revoke(self, context: RequestContext, params: dict, egress: bool) -> dict:
        ctx = self.ctx(context)
        group = self.resolve_group(ctx, params.get("GroupId"), params.get("GroupName"))
        rules = self.group_rules(ctx, group, egress)
        doomed: list[Record] = []
        if params.get("SecurityGroupRuleIds"):
            for rule_id in params["SecurityGroupRuleIds"]:
                match = next((r for r in rules if r["SecurityGroupRuleId"] == rule_id), None)
                if match is None:
                    raise core.not_found("sgr", rule_id)
                doomed.append(match)
        else:
            for item in self._rule_fields(ctx, params):
                match = next((r for r in rules if self._same_rule(r, item)), None)
                if match is None:
                    raise core.error(
                        "InvalidPermission.NotFound",
                        "The specified rule does not exist in this security group.",
                    )
                doomed.append(match)
        with self.store.transaction():
            for rule in doomed:
                self.drop(ctx, rule)
                if rule["SecurityGroupRuleId"] in group["_rules"]:
                    group["_rules"].remove(rule["SecurityGroupRuleId"])
            self.save(ctx, group)
        revoked = []
        for rule in doomed:
            item = {
                k: rule[k]
                for k in ("SecurityGroupRuleId", "GroupId", "IsEgress", "IpProtocol", "FromPort", "ToPort")
                if k in rule
            }
            for key in ("CidrIpv4", "CidrIpv6", "PrefixListId", "Description"):
                if rule.get(key):
                    item[key] = rule[key]
            if rule.get("ReferencedGroupInfo"):
                item["ReferencedGroupId"] = rule["ReferencedGroupInfo"]["GroupId"]
            revoked.append(item)
        return {"Return": True, "RevokedSecurityGroupRules": revoked}

    def revoke_security_group_ingress(self, context: RequestContext, params: dict) -> dict:
        return self._revoke(context, params, False)

    def revoke_security_group_egress(self, context: RequestContext, params: dict) -> dict:
        return self._revoke(context, params, True)

    def describe_security_group_rules(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "sgr", params, "SecurityGroupRuleIds", "SecurityGroupRules")

    def modify_security_group_rules(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        group = self.get(ctx, "sg", params.get("GroupId"), "GroupId")
        with self.store.transaction():
            for change in params.get("SecurityGroupRules") or ():
                rule = self.get(ctx, "sgr", change.get("SecurityGroupRuleId"), "SecurityGroupRuleId")
                if rule["GroupId"] != group["GroupId"]:
                    raise core.not_found("sgr", rule["SecurityGroupRuleId"])
                wanted = change.get("SecurityGroupRule") or {}
                protocol = _protocol(wanted.get("IpProtocol") or rule["IpProtocol"])
                rule["IpProtocol"] = protocol
                rule["FromPort"] = wanted.get("FromPort", -1) if protocol != "-1" else -1
                rule["ToPort"] = wanted.get("ToPort", -1) if protocol != "-1" else -1
                for key in ("CidrIpv4", "CidrIpv6", "PrefixListId", "ReferencedGroupInfo"):
                    rule.pop(key, None)
                if wanted.get("CidrIpv4"):
                    rule["CidrIpv4"] = self._cidr(wanted["CidrIpv4"], 4)
                elif wanted.get("CidrIpv6"):
                    rule["CidrIpv6"] = self._cidr(wanted["CidrIpv6"], 6)
                elif wanted.get("PrefixListId"):
                    rule["PrefixListId"] = wanted["PrefixListId"]
                elif wanted.get("ReferencedGroupId"):
                    ref = self.get(ctx, "sg", wanted["ReferencedGroupId"], "ReferencedGroupId")
                    rule["ReferencedGroupInfo"] = {"GroupId": ref["GroupId"], "UserId": ctx.account}
                # The request replaces the whole rule, its description with it.
                rule.pop("Description", None)
                if wanted.get("Description"):
                    rule["Description"] = wanted["Description"]
                self.save(ctx, rule)
        return {"Return": True}

    def _update_descriptions(self, context: RequestContext, params: dict, egress: bool) -> dict:
        ctx = self.ctx(context)
        group = self.resolve_group(ctx, params.get("GroupId"), params.get("GroupName"))
        rules = self.group_rules(ctx, group, egress)
        with self.store.transaction():
            for item in params.get("SecurityGroupRuleDescriptions") or ():
                rule = next(
                    (r for r in rules if r["SecurityGroupRuleId"] == item.get("SecurityGroupRuleId")), None
                )
                if rule is None:
                    raise core.not_found("sgr", item.get("SecurityGroupRuleId") or "")
                rule["Description"] = item.get("Description", "")
                self.save(ctx, rule)
            if params.get("IpPermissions"):
                for fields in self._rule_fields(ctx, params):
                    rule = next((r for r in rules if self._same_rule(r, fields)), None)
                    if rule is None:
                        raise core.error(
                            "InvalidPermission.NotFound",
                            "The specified rule does not exist in this security group.",
                        )
                    rule["Description"] = fields.get("Description") or ""
                    self.save(ctx, rule)
        return {"Return": True}

    def update_security_group_rule_descriptions_ingress(self, context: RequestContext, params: dict) -> dict:
        return self._update_descriptions(context, params, False)

    def update_security_group_rule_descriptions_egress(self, context: RequestContext, params: dict) -> dict:
        return self._update_descriptions(context, params, True)

    def describe_security_group_references(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        found = []
        for group_id in params.get("GroupId") or ():
            self.get(ctx, "sg", group_id, "GroupId")
            for rule in ctx.state.kind("sgr").values():
                ref = rule.get("ReferencedGroupInfo")
                if ref and ref["GroupId"] == group_id and rule["GroupId"] != group_id:
                    other = ctx.state.kind("sg").get(rule["GroupId"])
                    if other is not None and other["VpcId"] != ctx.state.kind("sg")[group_id]["VpcId"]:
                        found.append({"GroupId": group_id, "ReferencingVpcId": other["VpcId"]})
        return {"SecurityGroupReferenceSet": found}

    def describe_stale_security_groups(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        return {"StaleSecurityGroupSet": []}

    def get_security_groups_for_vpc(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        groups = self.select(
            ctx, "sg", params, visible=[g for g in self.all(ctx, "sg") if g["VpcId"] == vpc["VpcId"]]
        )
        groups, token = core.page(groups, params, "sgvpc")
        out: dict[str, Any] = {
            "SecurityGroupForVpcs": [
                {
                    "Description": g["Description"],
                    "GroupName": g["GroupName"],
                    "OwnerId": g["OwnerId"],
                    "GroupId": g["GroupId"],
                    "Tags": g.get("Tags") or [],
                    "PrimaryVpcId": g["VpcId"],
                }
                for g in groups
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    # -- managed prefix lists --------------------------------------------------------------------

    def prefix_lists(self, ctx: Ctx) -> dict[str, Record]:
        """AWS's managed prefix lists of the region and the account's own."""
        found = {}
        for service in AWS_PREFIX_LISTS:
            name = f"com.amazonaws.{ctx.region}.{service}"
            pl_id = "pl-" + hashlib.sha256(name.encode()).hexdigest()[:8]
            found[pl_id] = {
                "PrefixListId": pl_id,
                "AddressFamily": "IPv4",
                "State": "create-complete",
                "PrefixListArn": f"arn:aws:ec2:{ctx.region}:aws:prefix-list/{pl_id}",
                "PrefixListName": name,
                "Version": 1,
                "OwnerId": "AWS",
                "_kind": "pl",
                "_id": pl_id,
                "_entries": [
                    {"Cidr": "3.5.0.0/19" if service == "s3" else "3.218.180.0/22"},
                    {"Cidr": "52.216.0.0/15" if service == "s3" else "52.94.0.0/22"},
                ],
            }
        found.update(ctx.state.kind("pl"))
        return found

    def create_managed_prefix_list(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        family = params.get("AddressFamily")
        if family not in ("IPv4", "IPv6"):
            raise core.invalid(f"The address family {family} is not valid.")
        maximum = params.get("MaxEntries") or 0
        entries = [
            {
                "Cidr": normal_entry(e.get("Cidr"), family),
                **({"Description": e["Description"]} if e.get("Description") else {}),
            }
            for e in params.get("Entries") or ()
        ]
        if len(entries) > maximum:
            raise core.invalid("The number of entries exceeds the maximum.", "PrefixListMaxEntriesExceeded")
        pl_id = core.new_id("pl")
        record = {
            "PrefixListId": pl_id,
            "AddressFamily": family,
            "State": "create-complete",
            "PrefixListArn": f"arn:aws:ec2:{ctx.region}:{ctx.account}:prefix-list/{pl_id}",
            "PrefixListName": params.get("PrefixListName"),
            "MaxEntries": maximum,
            "Version": 1,
            "OwnerId": ctx.account,
            "_entries": entries,
            "_history": {"1": entries},
        }
        self.new(ctx, "pl", pl_id, record, self.tag_specs(params, "prefix-list"))
        return {"PrefixList": {**core.public(record), "State": "create-in-progress"}}

    def describe_managed_prefix_lists(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        lists = self.prefix_lists(ctx)
        ids = params.get("PrefixListIds")
        if ids:
            for pl in ids:
                if pl not in lists:
                    raise core.not_found("pl", pl)
        chosen = self.select(ctx, "pl", params, visible=[lists[i] for i in ids] if ids else lists.values())
        chosen, token = core.page(chosen, params, "pl", 1, 100)
        out: dict[str, Any] = {"PrefixLists": [core.public(p) for p in chosen]}
        if token:
            out["NextToken"] = token
        return out

    def describe_prefix_lists(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        lists = {k: v for k, v in self.prefix_lists(ctx).items() if v["OwnerId"] == "AWS"}
        ids = params.get("PrefixListIds")
        for pl in ids or ():
            if pl not in lists:
                raise core.not_found("pl", pl)
        chosen = self.select(ctx, "pl", params, visible=[lists[i] for i in ids] if ids else lists.values())
        return {
            "PrefixLists": [
                {
                    "PrefixListId": p["PrefixListId"],
                    "PrefixListName": p["PrefixListName"],
                    "Cidrs": [e["Cidr"] for e in p["_entries"]],
                }
                for p in chosen
            ]
        }

    def get_managed_prefix_list_entries(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        pl_id = params.get("PrefixListId") or ""
        record = self.prefix_lists(ctx).get(pl_id)
        if record is None:
            raise core.not_found("pl", pl_id)
        entries = record["_entries"]
        version = params.get("TargetVersion")
        if version is not None and record["OwnerId"] != "AWS":
            entries = record["_history"].get(str(version))
            if entries is None:
                raise core.invalid(f"The target version {version} is invalid.", "InvalidParameterValue")
        chosen, token = core.page(entries, params, "ple", 1, 100)
        out: dict[str, Any] = {"Entries": chosen}
        if token:
            out["NextToken"] = token
        return out

    def modify_managed_prefix_list(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "pl", params.get("PrefixListId"), "PrefixListId")
        current = params.get("CurrentVersion")
        if current is not None and current != record["Version"]:
            raise core.invalid(
                f"The prefix list has the incorrect version number. The current version is {record['Version']}.",
                "PrefixListVersionMismatch",
            )
        entries = {e["Cidr"]: e for e in record["_entries"]}
        for removed in params.get("RemoveEntries") or ():
            entries.pop(normal_entry(removed.get("Cidr"), record["AddressFamily"]), None)
        for added in params.get("AddEntries") or ():
            cidr = normal_entry(added.get("Cidr"), record["AddressFamily"])
            entries[cidr] = {
                "Cidr": cidr,
                **({"Description": added["Description"]} if added.get("Description") else {}),
            }
        if params.get("MaxEntries"):
            record["MaxEntries"] = params["MaxEntries"]
        if len(entries) > record["MaxEntries"]:
            raise core.invalid("The number of entries exceeds the maximum.", "PrefixListMaxEntriesExceeded")
        if params.get("PrefixListName"):
            record["PrefixListName"] = params["PrefixListName"]
        if params.get("AddEntries") or params.get("RemoveEntries"):
            record["Version"] += 1
            record["_entries"] = list(entries.values())
            record["_history"][str(record["Version"])] = record["_entries"]
        self.save(ctx, record)
        return {"PrefixList": {**core.public(record), "State": "modify-in-progress"}}

    def delete_managed_prefix_list(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "pl", params.get("PrefixListId"), "PrefixListId")
        for rule in ctx.state.kind("sgr").values():
            if rule.get("PrefixListId") == record["PrefixListId"]:
                raise core.error("PrefixListInUse", f"The prefix list {record['PrefixListId']} is in use.")
        self.drop(ctx, record)
        return {"PrefixList": {**core.public(record), "State": "delete-in-progress"}}

    def get_managed_prefix_list_associations(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        record = self.get(ctx, "pl", params.get("PrefixListId"), "PrefixListId")
        found = [
            {"ResourceId": rule["GroupId"], "ResourceOwner": ctx.account}
            for rule in ctx.state.kind("sgr").values()
            if rule.get("PrefixListId") == record["PrefixListId"]
        ]
        return {"PrefixListAssociations": found}

    # -- network ACLs ----------------------------------------------------------------------------

    def new_acl(self, ctx: Ctx, vpc: Record, tags: list, default: bool = False) -> Record:
        acl_id = core.new_id("acl")
        entries = []
        for egress in (True, False):
            if default:
                entries.append(
                    {
                        "CidrBlock": "0.0.0.0/0",
                        "Egress": egress,
                        "Protocol": "-1",
                        "RuleAction": "allow",
                        "RuleNumber": 100,
                    }
                )
            entries.append(
                {
                    "CidrBlock": "0.0.0.0/0",
                    "Egress": egress,
                    "Protocol": "-1",
                    "RuleAction": "deny",
                    "RuleNumber": 32767,
                }
            )
        record = {
            "Associations": [],
            "Entries": entries,
            "IsDefault": default,
            "NetworkAclId": acl_id,
            "VpcId": vpc["VpcId"],
            "OwnerId": ctx.account,
        }
        return self.new(ctx, "acl", acl_id, record, tags)

    def subnet_created(self, ctx: Ctx, subnet: Record) -> None:
        super().subnet_created(ctx, subnet)
        for acl in ctx.state.kind("acl").values():
            if acl["VpcId"] == subnet["VpcId"] and acl["IsDefault"]:
                acl["Associations"].append(
                    {
                        "NetworkAclAssociationId": core.new_id("aclassoc"),
                        "NetworkAclId": acl["NetworkAclId"],
                        "SubnetId": subnet["SubnetId"],
                    }
                )
                self.save(ctx, acl)

    def subnet_deleted(self, ctx: Ctx, subnet: Record) -> None:
        super().subnet_deleted(ctx, subnet)
        for acl in ctx.state.kind("acl").values():
            kept = [a for a in acl["Associations"] if a["SubnetId"] != subnet["SubnetId"]]
            if len(kept) != len(acl["Associations"]):
                acl["Associations"] = kept
                self.save(ctx, acl)

    def create_network_acl(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        vpc = self.get(ctx, "vpc", params.get("VpcId"), "VpcId")
        acl = self.new_acl(ctx, vpc, self.tag_specs(params, "network-acl"))
        out: dict[str, Any] = {"NetworkAcl": core.public(acl)}
        if params.get("ClientToken"):
            out["ClientToken"] = params["ClientToken"]
        return out

    def describe_network_acls(self, context: RequestContext, params: dict) -> dict:
        return self.listing(self.ctx(context), "acl", params, "NetworkAclIds", "NetworkAcls")

    def delete_network_acl(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        acl = self.get(ctx, "acl", params.get("NetworkAclId"), "NetworkAclId")
        if acl["IsDefault"]:
            raise core.invalid(
                f"cannot delete default network ACL {acl['NetworkAclId']}", "InvalidParameterValue"
            )
        if acl["Associations"]:
            raise core.error(
                "DependencyViolation",
                f"The networkAcl '{acl['NetworkAclId']}' has dependencies and cannot be deleted.",
            )
        self.drop(ctx, acl)
        return {}

    def _entry(self, params: dict) -> dict[str, Any]:
        number = params.get("RuleNumber")
        if number is None or not 1 <= number <= 32766:
            raise core.invalid(
                f"Value ({number}) for parameter ruleNumber is invalid.", "InvalidParameterValue"
            )
        action = params.get("RuleAction")
        if action not in ("allow", "deny"):
            raise core.invalid(f"Value ({action}) for parameter ruleAction is invalid.")
        protocol = str(params.get("Protocol"))
        protocol = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}.get(protocol.lower(), protocol)
        entry: dict[str, Any] = {
            "Egress": bool(params.get("Egress")),
            "Protocol": protocol,
            "RuleAction": action,
            "RuleNumber": number,
        }
        if params.get("CidrBlock"):
            entry["CidrBlock"] = str(network(params["CidrBlock"]))
        elif params.get("Ipv6CidrBlock"):
            entry["Ipv6CidrBlock"] = str(network(params["Ipv6CidrBlock"]))
        else:
            raise core.missing("CidrBlock")
        if protocol in ("6", "17"):
            ports = params.get("PortRange") or {}
            if ports.get("From") is None or ports.get("To") is None:
                raise core.missing("PortRange")
            entry["PortRange"] = {"From": ports["From"], "To": ports["To"]}
        if protocol == "1" and params.get("IcmpTypeCode"):
            entry["IcmpTypeCode"] = params["IcmpTypeCode"]
        return entry

    def create_network_acl_entry(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        acl = self.get(ctx, "acl", params.get("NetworkAclId"), "NetworkAclId")
        entry = self._entry(params)
        for existing in acl["Entries"]:
            if existing["RuleNumber"] == entry["RuleNumber"] and existing["Egress"] == entry["Egress"]:
                raise core.error(
                    "NetworkAclEntryAlreadyExists",
                    f"The network acl entry identified by {entry['RuleNumber']} already exists.",
                )
        acl["Entries"].append(entry)
        acl["Entries"].sort(key=lambda e: (e["Egress"], e["RuleNumber"]))
        self.save(ctx, acl)
        return {}

    def _entry_index(self, acl: Record, number: Any, egress: bool) -> int:
        for index, existing in enumerate(acl["Entries"]):
            if existing["RuleNumber"] == number and existing["Egress"] == egress:
                return index
        raise core.error(
            "InvalidNetworkAclEntry.NotFound",
            f"The network acl entry identified by {number} does not exist.",
        )

    def replace_network_acl_entry(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        acl = self.get(ctx, "acl", params.get("NetworkAclId"), "NetworkAclId")
        entry = self._entry(params)
        acl["Entries"][self._entry_index(acl, entry["RuleNumber"], entry["Egress"])] = entry
        self.save(ctx, acl)
        return {}

    def delete_network_acl_entry(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        acl = self.get(ctx, "acl", params.get("NetworkAclId"), "NetworkAclId")
        del acl["Entries"][self._entry_index(acl, params.get("RuleNumber"), bool(params.get("Egress")))]
        self.save(ctx, acl)
        return {}

    def replace_network_acl_association(self, context: RequestContext, params: dict) -> dict:
        ctx = self.ctx(context)
        target = self.get(ctx, "acl", params.get("NetworkAclId"), "NetworkAclId")
        wanted = params.get("AssociationId")
        for acl in ctx.state.kind("acl").values():
            for association in acl["Associations"]:
                if association["NetworkAclAssociationId"] == wanted:
                    with self.store.transaction():
                        acl["Associations"].remove(association)
                        self.save(ctx, acl)
                        new = {
                            "NetworkAclAssociationId": core.new_id("aclassoc"),
                            "NetworkAclId": target["NetworkAclId"],
                            "SubnetId": association["SubnetId"],
                        }
                        target["Associations"].append(new)
                        self.save(ctx, target)
                    return {"NewAssociationId": new["NetworkAclAssociationId"]}
        raise core.error("InvalidAssociationID.NotFound", f"The association ID '{wanted}' does not exist")


def normal_entry(cidr: str | None, family: str) -> str:
    if not cidr:
        raise core.missing("Cidr")
    block = network(cidr)
    if (block.version == 4) != (family == "IPv4"):
        raise core.invalid(f"The CIDR {cidr} does not match the address family {family}.")
    return str(block)
