"""Multi-tenant distributions: distribution tenants (their domains served by their
distribution, with their parameters filled into its origins), the connection groups they are
reached through, their web ACL and invalidations; and web ACLs on distributions."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error, invalid
from overcast.services.cloudfront.distributions import DEPLOY_SECONDS, items, with_defaults

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def _not_found(what: str) -> Exception:
    return error("EntityNotFound", f"The {what} does not exist.", 404)


def fill_parameters(config: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """A tenant's copy of its distribution's config: {{name}} in its origins' domain names and
    paths replaced by the tenant's parameter values (or the definitions' defaults)."""
    import copy

    filled = copy.deepcopy(config)
    for origin in items(filled.get("Origins")):
        for member in ("DomainName", "OriginPath"):
            if isinstance(origin.get(member), str):
                origin[member] = _PLACEHOLDER.sub(
                    lambda m: values.get(m.group(1), m.group(0)), origin[member]
                )
    return filled


class Tenants:
    # -- web ACLs on distributions ---------------------------------------------------------------

    def _set_web_acl(self: Provider, context: RequestContext, params: dict, arn: str) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.distribution_row(context.account, params["Id"])
            if params.get("IfMatch") and params["IfMatch"] != row["ETag"]:
                raise common.precondition_failed()
            for key in ("Given", "Config"):
                row[key]["WebACLId"] = arn
            row.update(
                Config=with_defaults(row["Given"]),
                ETag=common.new_etag(),
                Time=common.now(),
                DeployAt=self.runtime.scheduler.now() + DEPLOY_SECONDS,
            )
            self.distributions.put(common.scope(context.account), row["Id"], row)
        self.distribution_changed(context.account, row["Id"])
        return {"Id": row["Id"], "ETag": row["ETag"]}

    def associate_distribution_web_acl(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if not params["WebACLArn"].startswith("arn:aws:wafv2:us-east-1:"):
            raise invalid(
                "The web ACL must be an AWS WAF (wafv2) web ACL in us-east-1 with the CLOUDFRONT scope."
            )
        return dict(self._set_web_acl(context, params, params["WebACLArn"]), WebACLArn=params["WebACLArn"])

    def disassociate_distribution_web_acl(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_web_acl(context, params, "")

    # -- connection groups ---------------------------------------------------------------------

    def _group_rows(self: Provider, account: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        rows = [row for _, row in self.connection_groups.scan(common.scope(account))]
        return sorted(rows, key=lambda row: row["Created"])

    def _group_row(self: Provider, account: str, identifier: str) -> dict[str, Any]:  # type: ignore[misc]
        for row in self._group_rows(account):
            if identifier in (row["Id"], row["Name"], common.arn(account, f"connection-group/{row['Id']}")):
                return dict(row)
        raise _not_found("connection group")

    def _group_view(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        view = {
            "Id": row["Id"],
            "Name": row["Name"],
            "Arn": common.arn(account, f"connection-group/{row['Id']}"),
            "CreatedTime": row["Created"],
            "LastModifiedTime": row["Time"],
            "Ipv6Enabled": row["Ipv6Enabled"],
            "RoutingEndpoint": row["RoutingEndpoint"],
            "Status": "Deployed",
            "Enabled": row["Enabled"],
            "IsDefault": row.get("IsDefault", False),
        }
        if row.get("AnycastIpListId"):
            view["AnycastIpListId"] = row["AnycastIpListId"]
        if row.get("ViewerFallback"):
            view["ViewerFallback"] = row["ViewerFallback"]
        tags = self.tags.get(common.scope(account), view["Arn"]) or {}
        if tags:
            view["Tags"] = {"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        return view

    def _new_group(self: Provider, account: str, params: dict, default: bool = False) -> dict[str, Any]:  # type: ignore[misc]
        moment = common.now()
        row = {
            "Id": "cg_" + secrets.token_hex(14),
            "Name": params["Name"],
            "Ipv6Enabled": params.get("Ipv6Enabled", True),
            "AnycastIpListId": params.get("AnycastIpListId") or "",
            "Enabled": params.get("Enabled", True),
            "ViewerFallback": params.get("ViewerFallback"),
            "RoutingEndpoint": "d" + secrets.token_hex(7) + common.DOMAIN_SUFFIX,
            "IsDefault": default,
            "Created": moment,
            "Time": moment,
            "ETag": common.new_etag(),
        }
        self.connection_groups.put(common.scope(account), row["Id"], row)
        return row

    def create_connection_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            if any(row["Name"] == params["Name"] for row in self._group_rows(context.account)):
                raise error("EntityAlreadyExists", "A connection group with this name already exists.", 409)
            if params.get("AnycastIpListId"):
                self._anycast_row(context.account, params["AnycastIpListId"])
            row = self._new_group(context.account, params)
            tags = {tag["Key"]: tag.get("Value", "") for tag in items(params.get("Tags"))}
            if tags:
                self.tags.put(
                    common.scope(context.account),
                    common.arn(context.account, f"connection-group/{row['Id']}"),
                    tags,
                )
        return {"ConnectionGroup": self._group_view(context.account, row), "ETag": row["ETag"]}

    def get_connection_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._group_row(context.account, params["Identifier"])
        return {"ConnectionGroup": self._group_view(context.account, row), "ETag": row["ETag"]}

    def get_connection_group_by_routing_endpoint(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        for row in self._group_rows(context.account):
            if row["RoutingEndpoint"] == params["RoutingEndpoint"]:
                return {"ConnectionGroup": self._group_view(context.account, row), "ETag": row["ETag"]}
        raise _not_found("connection group")

    def update_connection_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._group_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            for member in ("Ipv6Enabled", "AnycastIpListId", "Enabled", "ViewerFallback"):
                if params.get(member) is not None:
                    row[member] = params[member]
            row.update(ETag=common.new_etag(), Time=common.now())
            self.connection_groups.put(common.scope(context.account), row["Id"], row)
        return {"ConnectionGroup": self._group_view(context.account, row), "ETag": row["ETag"]}

    def delete_connection_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._group_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            if row["Enabled"]:
                raise error(
                    "ResourceNotDisabled", "The connection group must be disabled before it is deleted.", 409
                )
            if any(t.get("ConnectionGroupId") == row["Id"] for t in self._tenant_rows(context.account)):
                raise error(
                    "CannotDeleteEntityWhileInUse",
                    "The connection group is in use by distribution tenants.",
                    409,
                )
            self.connection_groups.delete(common.scope(context.account), row["Id"])
        return {}

    def list_connection_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = (params.get("AssociationFilter") or {}).get("AnycastIpListId")
        rows = [
            row
            for row in self._group_rows(context.account)
            if not wanted or row.get("AnycastIpListId") == wanted
        ]
        summaries = []
        for row in rows:
            view = self._group_view(context.account, row)
            view.pop("Tags", None)
            view.pop("Ipv6Enabled", None)
            summaries.append(dict(view, ETag=row["ETag"]))
        chosen, following, _ = common.page(
            summaries, {"Marker": params.get("Marker"), "MaxItems": params.get("MaxItems")}
        )
        output: dict[str, Any] = {"ConnectionGroups": chosen}
        if following:
            output["NextMarker"] = following
        return output

    # -- distribution tenants --------------------------------------------------------------------

    def _tenant_rows(self: Provider, account: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        rows = [row for _, row in self.tenants.scan(common.scope(account))]
        return sorted(rows, key=lambda row: row["Created"])

    def _tenant_row(self: Provider, account: str, identifier: str) -> dict[str, Any]:  # type: ignore[misc]
        for row in self._tenant_rows(account):
            if identifier in (
                row["Id"],
                row["Name"],
                common.arn(account, f"distribution-tenant/{row['Id']}"),
            ):
                return dict(row)
        raise _not_found("distribution tenant")

    def _tenant_view(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        arn = common.arn(account, f"distribution-tenant/{row['Id']}")
        view: dict[str, Any] = {
            "Id": row["Id"],
            "DistributionId": row["DistributionId"],
            "Name": row["Name"],
            "Arn": arn,
            "Domains": [
                {"Domain": item["Domain"], "Status": "active" if row["Enabled"] else "inactive"}
                for item in row["Domains"]
            ],
            "ConnectionGroupId": row["ConnectionGroupId"],
            "CreatedTime": row["Created"],
            "LastModifiedTime": row["Time"],
            "Enabled": row["Enabled"],
            "Status": "Deployed" if self.runtime.scheduler.now() >= row["DeployAt"] else "InProgress",
        }
        if row.get("Customizations"):
            view["Customizations"] = row["Customizations"]
        if row.get("Parameters"):
            view["Parameters"] = row["Parameters"]
        tags = self.tags.get(common.scope(account), arn) or {}
        if tags:
            view["Tags"] = {"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        return view

    def _check_tenant(  # type: ignore[misc]
        self: Provider, account: str, params: dict, ident: str | None
    ) -> tuple[dict[str, Any], str]:
        distribution = self.distribution_row(account, params["DistributionId"])
        if distribution["Config"].get("ConnectionMode") != "tenant-only":
            raise invalid("Distribution tenants can only be created for a multi-tenant distribution.")
        domains = [item["Domain"].lower() for item in params.get("Domains") or []]
        if not domains:
            raise invalid("A distribution tenant needs at least one domain.")
        for domain in domains:
            owner = self.alias_owner(domain)
            if owner is not None and owner.split("/")[-1] != ident:
                raise error(
                    "CNAMEAlreadyExists",
                    f"The domain {domain} is already associated with another resource.",
                    409,
                )
        definitions = (distribution["Config"].get("TenantConfig") or {}).get("ParameterDefinitions") or []
        given = {parameter["Name"] for parameter in params.get("Parameters") or []}
        for definition in definitions:
            required = (definition.get("Definition") or {}).get("StringSchema", {}).get("Required")
            if required and definition["Name"] not in given:
                raise invalid(f"The parameter {definition['Name']} is required by the distribution.")
        known = {definition["Name"] for definition in definitions}
        unknown = given - known
        if unknown:
            raise invalid(f"The parameters {', '.join(sorted(unknown))} are not defined by the distribution.")
        group = params.get("ConnectionGroupId")
        if group:
            group = self._group_row(account, group)["Id"]
        else:
            defaults = [row for row in self._group_rows(account) if row.get("IsDefault")]
            group = (
                defaults[0]["Id"]
                if defaults
                else self._new_group(account, {"Name": "default"}, default=True)["Id"]
            )
        return distribution, group

    def create_distribution_tenant(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        with self.store.transaction():
            if any(row["Name"] == params["Name"] for row in self._tenant_rows(account)):
                raise error(
                    "EntityAlreadyExists", "A distribution tenant with this name already exists.", 409
                )
            _, group = self._check_tenant(account, params, None)
            moment = common.now()
            row = {
                "Id": "dt_" + secrets.token_hex(14),
                "DistributionId": params["DistributionId"],
                "Name": params["Name"],
                "Domains": [{"Domain": item["Domain"].lower()} for item in params["Domains"]],
                "Customizations": params.get("Customizations"),
                "Parameters": params.get("Parameters") or [],
                "ConnectionGroupId": group,
                "Enabled": params.get("Enabled", True),
                "Created": moment,
                "Time": moment,
                "DeployAt": self.runtime.scheduler.now() + DEPLOY_SECONDS,
                "ETag": common.new_etag(),
            }
            if params.get("ManagedCertificateRequest"):
                row["ManagedCertificate"] = self.request_managed_certificate(
                    account, [item["Domain"] for item in row["Domains"]], params["ManagedCertificateRequest"]
                )
            self.tenants.put(common.scope(account), row["Id"], row)
            tags = {tag["Key"]: tag.get("Value", "") for tag in items(params.get("Tags"))}
            if tags:
                self.tags.put(
                    common.scope(account), common.arn(account, f"distribution-tenant/{row['Id']}"), tags
                )
        self.distribution_changed(account, None)
        return {"DistributionTenant": self._tenant_view(account, row), "ETag": row["ETag"]}

    def get_distribution_tenant(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._tenant_row(context.account, params["Identifier"])
        return {"DistributionTenant": self._tenant_view(context.account, row), "ETag": row["ETag"]}

    def get_distribution_tenant_by_domain(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        domain = params["Domain"].lower()
        for row in self._tenant_rows(context.account):
            if domain in [item["Domain"] for item in row["Domains"]]:
                return {"DistributionTenant": self._tenant_view(context.account, row), "ETag": row["ETag"]}
        raise _not_found("distribution tenant")

    def update_distribution_tenant(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        with self.store.transaction():
            row = self._tenant_row(account, params["Id"])
            common.check_if_match(params, row["ETag"])
            merged = {
                "DistributionId": params.get("DistributionId") or row["DistributionId"],
                "Domains": params.get("Domains") or row["Domains"],
                "Parameters": params["Parameters"]
                if params.get("Parameters") is not None
                else row["Parameters"],
                "ConnectionGroupId": params.get("ConnectionGroupId") or row["ConnectionGroupId"],
            }
            _, group = self._check_tenant(account, merged, row["Id"])
            row.update(
                DistributionId=merged["DistributionId"],
                Domains=[{"Domain": item["Domain"].lower()} for item in merged["Domains"]],
                Parameters=merged["Parameters"],
                ConnectionGroupId=group,
                ETag=common.new_etag(),
                Time=common.now(),
                DeployAt=self.runtime.scheduler.now() + DEPLOY_SECONDS,
            )
            if params.get("Customizations") is not None:
                row["Customizations"] = params["Customizations"]
            if params.get("Enabled") is not None:
                row["Enabled"] = params["Enabled"]
            if params.get("ManagedCertificateRequest"):
                row["ManagedCertificate"] = self.request_managed_certificate(
                    account, [item["Domain"] for item in row["Domains"]], params["ManagedCertificateRequest"]
                )
            self.tenants.put(common.scope(account), row["Id"], row)
        self.distribution_changed(account, None)
        return {"DistributionTenant": self._tenant_view(account, row), "ETag": row["ETag"]}

    def delete_distribution_tenant(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._tenant_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            if row["Enabled"]:
                raise error(
                    "ResourceNotDisabled",
                    "The distribution tenant must be disabled before it is deleted.",
                    409,
                )
            self.tenants.delete(common.scope(context.account), row["Id"])
        self.distribution_changed(context.account, None)
        self.edge_cache.invalidate(f"{row['DistributionId']}/{row['Id']}", ["/*"])
        return {}

    def _tenant_summaries(self: Provider, account: str, rows: list[dict], params: dict) -> dict:  # type: ignore[misc]
        summaries = []
        for row in rows:
            view = self._tenant_view(account, row)
            view.pop("Tags", None)
            view.pop("Parameters", None)
            summaries.append(dict(view, ETag=row["ETag"]))
        chosen, following, _ = common.page(
            summaries, {"Marker": params.get("Marker"), "MaxItems": params.get("MaxItems")}
        )
        output: dict[str, Any] = {"DistributionTenantList": chosen}
        if following:
            output["NextMarker"] = following
        return output

    def list_distribution_tenants(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params.get("AssociationFilter") or {}
        rows = [
            row
            for row in self._tenant_rows(context.account)
            if (not wanted.get("DistributionId") or row["DistributionId"] == wanted["DistributionId"])
            and (
                not wanted.get("ConnectionGroupId") or row["ConnectionGroupId"] == wanted["ConnectionGroupId"]
            )
        ]
        return self._tenant_summaries(context.account, rows, params)

    def list_distribution_tenants_by_customization(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        if not params.get("WebACLArn") and not params.get("CertificateArn"):
            raise invalid("Either WebACLArn or CertificateArn is required.")
        rows = []
        for row in self._tenant_rows(context.account):
            custom = row.get("Customizations") or {}
            if (
                params.get("WebACLArn") and (custom.get("WebAcl") or {}).get("Arn") == params["WebACLArn"]
            ) or (
                params.get("CertificateArn")
                and (custom.get("Certificate") or {}).get("Arn") == params["CertificateArn"]
            ):
                rows.append(row)
        return self._tenant_summaries(context.account, rows, params)

    def _set_tenant_web_acl(self: Provider, context: RequestContext, params: dict, arn: str | None) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._tenant_row(context.account, params["Id"])
            if params.get("IfMatch") and params["IfMatch"] != row["ETag"]:
                raise common.precondition_failed()
            custom = dict(row.get("Customizations") or {})
            if arn:
                custom["WebAcl"] = {"Action": "override", "Arn": arn}
            else:
                custom.pop("WebAcl", None)
            row.update(Customizations=custom, ETag=common.new_etag(), Time=common.now())
            self.tenants.put(common.scope(context.account), row["Id"], row)
        output = {"Id": row["Id"], "ETag": row["ETag"]}
        if arn:
            output["WebACLArn"] = arn
        return output

    def associate_distribution_tenant_web_acl(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._set_tenant_web_acl(context, params, params["WebACLArn"])

    def disassociate_distribution_tenant_web_acl(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        return self._set_tenant_web_acl(context, params, None)

    def create_invalidation_for_distribution_tenant(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        row = self._tenant_row(context.account, params["Id"])
        output = self.record_invalidation(context.account, row["Id"], params["InvalidationBatch"])
        self.edge_cache.invalidate(
            f"{row['DistributionId']}/{row['Id']}", items(params["InvalidationBatch"]["Paths"])
        )
        output["Location"] = (
            f"https://cloudfront.amazonaws.com/2020-05-31/distribution-tenant/{row['Id']}/invalidation/"
            f"{output['Invalidation']['Id']}"
        )
        return output

    def get_invalidation_for_distribution_tenant(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        row = self._tenant_row(context.account, params["DistributionTenantId"])
        return self.read_invalidation(context.account, row["Id"], params["Id"])

    def list_invalidations_for_distribution_tenant(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        row = self._tenant_row(context.account, params["Id"])
        params = dict(
            params, MaxItems=str(params["MaxItems"]) if params.get("MaxItems") is not None else None
        )
        return self.invalidation_listing(context.account, row["Id"], params)

    # -- domains across distributions and tenants ------------------------------------------------

    def _domain_holders(self: Provider, domain: str) -> list[tuple[str, str, str]]:  # type: ignore[misc]
        """(resource type, id, account) of every distribution or tenant whose domains overlap
        `domain` (wildcards included), in every account."""
        from overcast.services.cloudfront.distributions import _alias_matches

        wanted = domain.lower()
        found = []
        for scope in self.distributions.scopes():
            account = scope.split("/")[0]
            for ident, row in self.distributions.scan(scope):
                if any(
                    _alias_matches(wanted, alias.lower()) for alias in items(row["Config"].get("Aliases"))
                ):
                    found.append(("distribution", ident, account))
        for scope in self.tenants.scopes():
            account = scope.split("/")[0]
            for ident, row in self.tenants.scan(scope):
                if any(_alias_matches(wanted, item["Domain"]) for item in row["Domains"]):
                    found.append(("distribution-tenant", ident, account))
        return found

    def _target(self: Provider, account: str, target: dict[str, Any]) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        if bool(target.get("DistributionId")) == bool(target.get("DistributionTenantId")):
            raise invalid("Name exactly one of DistributionId and DistributionTenantId.")
        if target.get("DistributionId"):
            return "distribution", self.distribution_row(account, target["DistributionId"])
        return "distribution-tenant", self._tenant_row(account, target["DistributionTenantId"])

    def list_domain_conflicts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, row = self._target(context.account, params["DomainControlValidationResource"])
        conflicts = [
            {
                "Domain": params["Domain"],
                "ResourceType": holder_kind,
                "ResourceId": ident if account == context.account else "******",
                "AccountId": account if account == context.account else "******" + account[-4:],
            }
            for holder_kind, ident, account in self._domain_holders(params["Domain"])
            if ident != row["Id"]
        ]
        chosen, following, _ = common.page(
            conflicts,
            {"Marker": params.get("Marker"), "MaxItems": params.get("MaxItems")},
            key=lambda c: c["ResourceId"],
        )
        output: dict[str, Any] = {"DomainConflicts": chosen}
        if following:
            output["NextMarker"] = following
        return output

    def update_domain_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """Move a domain to another distribution or tenant of the same account."""
        account = context.account
        domain = params["Domain"].lower()
        with self.store.transaction():
            kind, target = self._target(account, params["TargetResource"])
            if params.get("IfMatch") and params["IfMatch"] != target["ETag"]:
                raise common.precondition_failed()
            holders = [h for h in self._domain_holders(domain) if h[1] != target["Id"]]
            if any(holder_account != account for _, _, holder_account in holders):
                raise error("IllegalUpdate", "The domain belongs to a resource of another account.")
            if not holders:
                raise _not_found(f"domain {domain} on another resource")
            for holder_kind, ident, _ in holders:
                if holder_kind == "distribution":
                    row = self.distribution_row(account, ident)
                    kept = [alias for alias in items(row["Given"].get("Aliases")) if alias.lower() != domain]
                    row["Given"]["Aliases"] = {"Quantity": len(kept), **({"Items": kept} if kept else {})}
                    row.update(Config=with_defaults(row["Given"]), ETag=common.new_etag(), Time=common.now())
                    self.distributions.put(common.scope(account), ident, row)
                else:
                    tenant = self._tenant_row(account, ident)
                    tenant["Domains"] = [item for item in tenant["Domains"] if item["Domain"] != domain]
                    tenant.update(ETag=common.new_etag(), Time=common.now())
                    self.tenants.put(common.scope(account), ident, tenant)
            if kind == "distribution":
                aliases = [*items(target["Given"].get("Aliases")), domain]
                target["Given"]["Aliases"] = {"Quantity": len(aliases), "Items": aliases}
                target.update(
                    Config=with_defaults(target["Given"]), ETag=common.new_etag(), Time=common.now()
                )
                self.distributions.put(common.scope(account), target["Id"], target)
            else:
                target["Domains"] = [*target["Domains"], {"Domain": domain}]
                target.update(ETag=common.new_etag(), Time=common.now())
                self.tenants.put(common.scope(account), target["Id"], target)
        self.distribution_changed(account, None)
        return {"Domain": domain, "ResourceId": target["Id"], "ETag": target["ETag"]}

    def list_distributions_by_owned_resource(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        """The distributions, of any account, whose origins use a resource this account owns
        (a VPC origin it shares)."""
        from overcast.common.arns import parse_arn

        arn = parse_arn(params["ResourceArn"])
        if arn is None or arn.service != "cloudfront" or not arn.resource.startswith("vpcorigin/"):
            raise error("UnsupportedOperation", "Only VPC origins are owned resources.", 400)
        if arn.account != context.account:
            raise error("AccessDenied", "The resource is not owned by this account.", 403)
        ident = self._vpc_row(context.account, arn.resource.partition("/")[2])["Id"]
        found = []
        for scope in self.distributions.scopes():
            account = scope.split("/")[0]
            for dist_id, row in self.distributions.scan(scope):
                if any(
                    (o.get("VpcOriginConfig") or {}).get("VpcOriginId") == ident
                    for o in items(row["Config"].get("Origins"))
                ):
                    found.append({"DistributionId": dist_id, "OwnerAccountId": account})
        return {"DistributionList": common.listing(found, params, key=lambda item: item["DistributionId"])}
