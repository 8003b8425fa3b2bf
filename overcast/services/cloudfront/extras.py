"""The rest of CloudFront's control plane that distributions refer to: Anycast static IP
lists, VPC origins, resource policies on them, and continuous deployment's staging copies
(CopyDistribution, then UpdateDistributionWithStagingConfig to promote one)."""

from __future__ import annotations

import copy
import json
import secrets
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error, invalid
from overcast.services.cloudfront.distributions import DEPLOY_SECONDS, items, with_defaults

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider


def _not_found(what: str) -> Exception:
    return error("EntityNotFound", f"The {what} does not exist.", 404)


class Extras:
    # -- Anycast static IP lists -----------------------------------------------------------------

    def _anycast_row(self: Provider, account: str, ident: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.anycast.get(common.scope(account), ident or "-")
        if row is None:
            raise _not_found("Anycast static IP list")
        return dict(row)

    def _anycast_view(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "Id": row["Id"],
            "Name": row["Name"],
            "Status": "Deployed",
            "Arn": common.arn(account, f"anycastiplist/{row['Id']}"),
            "IpAddressType": row["IpAddressType"],
            "AnycastIps": row["Ips"],
            "IpCount": len(row["Ips"]),
            "LastModifiedTime": row["Time"],
        }

    def create_anycast_ip_list(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        count = params["IpCount"]
        if count not in (3, 21):
            raise invalid("IpCount must be 3 or 21.")
        address_type = params.get("IpAddressType") or "ipv4"
        with self.store.transaction():
            for _, row in self.anycast.scan(common.scope(context.account)):
                if row["Name"] == params["Name"]:
                    raise error(
                        "EntityAlreadyExists", "An Anycast static IP list with this name already exists.", 409
                    )
            ident = "aip_" + secrets.token_hex(11)
            # Addresses that reach this machine, where Overcast serves the distributions.
            ips = [f"127.0.{(n // 250) + 1}.{n % 250 + 1}" for n in range(count)]
            if address_type != "ipv4":
                ips = [f"::ffff:{ip}" for ip in ips] if address_type == "ipv6" else ips
            row = {
                "Id": ident,
                "Name": params["Name"],
                "IpAddressType": address_type,
                "Ips": ips,
                "Time": common.now(),
                "ETag": common.new_etag(),
            }
            self.anycast.put(common.scope(context.account), ident, row)
        return {"AnycastIpList": self._anycast_view(context.account, row), "ETag": row["ETag"]}

    def get_anycast_ip_list(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._anycast_row(context.account, params["Id"])
        return {"AnycastIpList": self._anycast_view(context.account, row), "ETag": row["ETag"]}

    def update_anycast_ip_list(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._anycast_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            if params.get("IpAddressType"):
                row["IpAddressType"] = params["IpAddressType"]
            row.update(ETag=common.new_etag(), Time=common.now())
            self.anycast.put(common.scope(context.account), row["Id"], row)
        return {"AnycastIpList": self._anycast_view(context.account, row), "ETag": row["ETag"]}

    def delete_anycast_ip_list(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._anycast_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            if any(
                d["Config"].get("AnycastIpListId") == row["Id"]
                for d in self.distribution_rows(context.account)
            ):
                raise error("CannotDeleteEntityWhileInUse", "The Anycast static IP list is in use.", 409)
            self.anycast.delete(common.scope(context.account), row["Id"])
        return {}

    def list_anycast_ip_lists(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = [row for _, row in self.anycast.scan(common.scope(context.account))]
        rows.sort(key=lambda row: row["Time"])
        summaries = [
            {
                key: value
                for key, value in self._anycast_view(context.account, row).items()
                if key != "AnycastIps"
            }
            | {"ETag": row["ETag"]}
            for row in rows
        ]
        params = dict(
            params, MaxItems=str(params["MaxItems"]) if params.get("MaxItems") is not None else None
        )
        return {"AnycastIpLists": common.listing(summaries, params)}

    # -- VPC origins -----------------------------------------------------------------------------

    def _vpc_row(self: Provider, account: str, ident: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.vpc_origins.get(common.scope(account), ident or "-")
        if row is None:
            raise _not_found("VPC origin")
        return dict(row)

    def _vpc_view(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "Id": row["Id"],
            "Arn": common.arn(account, f"vpcorigin/{row['Id']}"),
            "AccountId": account,
            "Status": "Deployed",
            "CreatedTime": row["Created"],
            "LastModifiedTime": row["Time"],
            "VpcOriginEndpointConfig": row["Config"],
        }

    @staticmethod
    def _check_endpoint(config: dict[str, Any]) -> None:
        arn = parse_arn(config.get("Arn") or "")
        if arn is None or arn.service not in ("elasticloadbalancing", "ec2"):
            raise invalid(
                "The VPC origin endpoint must be an Application or Network Load Balancer or an EC2 instance."
            )

    def create_vpc_origin(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = params["VpcOriginEndpointConfig"]
        self._check_endpoint(config)
        moment = common.now()
        row = {
            "Id": "vo_" + secrets.token_hex(11),
            "Config": config,
            "Created": moment,
            "Time": moment,
            "ETag": common.new_etag(),
        }
        self.vpc_origins.put(common.scope(context.account), row["Id"], row)
        return {
            "VpcOrigin": self._vpc_view(context.account, row),
            "ETag": row["ETag"],
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/vpc-origin/{row['Id']}",
        }

    def get_vpc_origin(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._vpc_row(context.account, params["Id"])
        return {"VpcOrigin": self._vpc_view(context.account, row), "ETag": row["ETag"]}

    def update_vpc_origin(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._check_endpoint(params["VpcOriginEndpointConfig"])
        with self.store.transaction():
            row = self._vpc_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            row.update(Config=params["VpcOriginEndpointConfig"], ETag=common.new_etag(), Time=common.now())
            self.vpc_origins.put(common.scope(context.account), row["Id"], row)
        return {"VpcOrigin": self._vpc_view(context.account, row), "ETag": row["ETag"]}

    def delete_vpc_origin(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._vpc_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            for dist in self.distribution_rows(context.account):
                for origin in items(dist["Config"].get("Origins")):
                    if (origin.get("VpcOriginConfig") or {}).get("VpcOriginId") == row["Id"]:
                        raise error("CannotDeleteEntityWhileInUse", "The VPC origin is in use.", 409)
            self.vpc_origins.delete(common.scope(context.account), row["Id"])
        view = dict(self._vpc_view(context.account, row), Status="Deleting")
        return {"VpcOrigin": view, "ETag": row["ETag"]}

    def list_vpc_origins(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = sorted(
            (row for _, row in self.vpc_origins.scan(common.scope(context.account))),
            key=lambda r: r["Created"],
        )
        summaries = []
        for row in rows:
            view = self._vpc_view(context.account, row)
            summaries.append(
                {
                    "Id": view["Id"],
                    "Name": row["Config"]["Name"],
                    "Status": view["Status"],
                    "CreatedTime": view["CreatedTime"],
                    "LastModifiedTime": view["LastModifiedTime"],
                    "Arn": view["Arn"],
                    "AccountId": context.account,
                    "OriginEndpointArn": row["Config"]["Arn"],
                }
            )
        return {"VpcOriginList": common.listing(summaries, params)}

    # -- resource policies -------------------------------------------------------------------------

    def _policy_target(self: Provider, account: str, arn: str) -> str:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "cloudfront":
            raise invalid("The resource ARN is not valid.")
        kind, _, ident = parsed.resource.partition("/")
        tables = {
            "vpcorigin": self.vpc_origins,
            "anycastiplist": self.anycast,
            "distribution": self.distributions,
        }
        table = tables.get(kind)
        if table is None:
            raise error(
                "UnsupportedOperation", f"Resource policies are not supported for {kind} resources.", 400
            )
        if parsed.account != account or table.get(common.scope(account), ident or "-") is None:
            raise _not_found("resource")
        return arn

    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._policy_target(context.account, params["ResourceArn"])
        try:
            document = json.loads(params["PolicyDocument"])
        except ValueError:
            raise invalid("The policy document is not valid JSON.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise invalid("The policy document must have a Statement.")
        self.resource_policies.put(common.scope(context.account), arn, params["PolicyDocument"])
        return {"ResourceArn": arn}

    def get_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._policy_target(context.account, params["ResourceArn"])
        document = self.resource_policies.get(common.scope(context.account), arn)
        if document is None:
            raise _not_found("resource policy")
        return {"ResourceArn": arn, "PolicyDocument": document}

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._policy_target(context.account, params["ResourceArn"])
        if not self.resource_policies.delete(common.scope(context.account), arn):
            raise _not_found("resource policy")
        return {}

    # -- continuous deployment -----------------------------------------------------------------

    def copy_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        primary = self.distribution_row(account, params["PrimaryDistributionId"])
        if params.get("IfMatch") and params["IfMatch"] != primary["ETag"]:
            raise common.precondition_failed()
        config = copy.deepcopy(primary["Given"])
        config["CallerReference"] = params["CallerReference"]
        config["Staging"] = bool(params.get("Staging"))
        config["Enabled"] = bool(params.get("Enabled", config.get("Enabled", True)))
        if config["Staging"]:
            # A staging distribution serves no aliases of its own: it answers for its primary's.
            config["Aliases"] = {"Quantity": 0}
            config.pop("ContinuousDeploymentPolicyId", None)
        output = self._create_distribution(context, config, {})
        return output

    def update_distribution_with_staging_config(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        account = context.account
        staging_id = params.get("StagingDistributionId")
        if not staging_id:
            raise invalid("The parameter StagingDistributionId is required.")
        with self.store.transaction():
            primary = self.distribution_row(account, params["Id"])
            staging = self.distribution_row(account, staging_id)
            given = [tag.strip() for tag in (params.get("IfMatch") or "").split(",")]
            if len(given) != 2 or not all(given):
                raise common.if_match_missing()
            if given != [primary["ETag"], staging["ETag"]]:
                raise common.precondition_failed()
            if not staging["Config"].get("Staging"):
                raise error(
                    "IllegalUpdate", "The distribution to promote from is not a staging distribution."
                )
            config = copy.deepcopy(staging["Given"])
            for kept in ("CallerReference", "Aliases", "ContinuousDeploymentPolicyId", "Enabled"):
                if kept in primary["Given"]:
                    config[kept] = primary["Given"][kept]
                else:
                    config.pop(kept, None)
            config["Staging"] = False
            primary.update(
                Given=config,
                Config=with_defaults(config),
                ETag=common.new_etag(),
                Time=common.now(),
                DeployAt=self.runtime.scheduler.now() + DEPLOY_SECONDS,
            )
            self.distributions.put(common.scope(account), primary["Id"], primary)
        self.distribution_changed(account, primary["Id"])
        return self._distribution_output(account, primary)
