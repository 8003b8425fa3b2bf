"""Distributions: their config stored as given (with the defaults AWS fills in), ETags and
If-Match, CallerReference idempotency, InProgress → Deployed, aliases that no two
distributions share, invalidations that really purge the edge cache, tags, and the
ListDistributionsBy* lookups."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error, invalid

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider

#: Seconds (on the scheduler's clock) a change takes to deploy, an invalidation to complete.
DEPLOY_SECONDS = 1.0

#: Members AWS fills in when a DistributionConfig leaves them out.
_DEFAULTS: dict[str, Any] = {
    "Aliases": {"Quantity": 0},
    "DefaultRootObject": "",
    "OriginGroups": {"Quantity": 0},
    "CacheBehaviors": {"Quantity": 0},
    "CustomErrorResponses": {"Quantity": 0},
    "Logging": {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
    "PriceClass": "PriceClass_All",
    "ViewerCertificate": {
        "CloudFrontDefaultCertificate": True,
        "SSLSupportMethod": "vip",
        "MinimumProtocolVersion": "TLSv1",
        "CertificateSource": "cloudfront",
    },
    "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
    "WebACLId": "",
    "HttpVersion": "http2",
    "IsIPV6Enabled": True,
    "Staging": False,
}
_BEHAVIOUR_DEFAULTS: dict[str, Any] = {
    "TrustedSigners": {"Enabled": False, "Quantity": 0},
    "TrustedKeyGroups": {"Enabled": False, "Quantity": 0},
    "AllowedMethods": {
        "Quantity": 2,
        "Items": ["HEAD", "GET"],
        "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]},
    },
    "SmoothStreaming": False,
    "Compress": False,
    "LambdaFunctionAssociations": {"Quantity": 0},
    "FunctionAssociations": {"Quantity": 0},
    "FieldLevelEncryptionId": "",
}
_ORIGIN_DEFAULTS: dict[str, Any] = {
    "OriginPath": "",
    "CustomHeaders": {"Quantity": 0},
    "ConnectionAttempts": 3,
    "ConnectionTimeout": 10,
    "OriginShield": {"Enabled": False},
    "OriginAccessControlId": "",
}
#: A custom origin's timeouts when none are given (seconds; AWS's documented defaults).
_CUSTOM_ORIGIN_DEFAULTS: dict[str, Any] = {"OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5}
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+$")
_VERSION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+:\d+$")


def items(container: dict[str, Any] | None) -> list[Any]:
    return list((container or {}).get("Items") or [])


def behaviours(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [*items(config.get("CacheBehaviors")), config["DefaultCacheBehavior"]]


def _check_quantities(value: Any, where: str = "") -> None:
    """Every {Quantity, Items} pair agrees (AWS's InconsistentQuantities)."""
    if isinstance(value, dict):
        if "Quantity" in value and isinstance(value.get("Quantity"), int):
            if value["Quantity"] != len(value.get("Items") or []):
                raise error(
                    "InconsistentQuantities", "The value of Quantity and the size of Items don't match."
                )
        for name, inner in value.items():
            _check_quantities(inner, name)
    elif isinstance(value, list):
        for inner in value:
            _check_quantities(inner, where)


def with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """The config as AWS stores it: what was given, and AWS's defaults for what was not."""
    stored = copy.deepcopy(config)
    for name, default in _DEFAULTS.items():
        stored.setdefault(name, copy.deepcopy(default))
    for behaviour in behaviours(stored):
        for name, default in _BEHAVIOUR_DEFAULTS.items():
            behaviour.setdefault(name, copy.deepcopy(default))
        if "ForwardedValues" in behaviour:
            behaviour.setdefault("MinTTL", 0)
            behaviour.setdefault("DefaultTTL", 86400)
            behaviour.setdefault("MaxTTL", 31536000)
    for origin in items(stored.get("Origins")):
        for name, default in _ORIGIN_DEFAULTS.items():
            origin.setdefault(name, copy.deepcopy(default))
        custom = origin.get("CustomOriginConfig")
        if isinstance(custom, dict):
            for name, default in _CUSTOM_ORIGIN_DEFAULTS.items():
                custom.setdefault(name, default)
    return stored


class Distributions:
    """The distribution operations, on the provider (mixed in)."""

    # -- reading -----------------------------------------------------------------------------

    def distribution_row(self: Provider, account: str, ident: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.distributions.get(common.scope(account), ident or "-")
        if row is None:
            raise error("NoSuchDistribution", "The specified distribution does not exist.", 404)
        return dict(row)

    def distribution_rows(self: Provider, account: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        rows = [row for _, row in self.distributions.scan(common.scope(account))]
        rows.sort(key=lambda row: row["Created"])
        return rows

    def status(self: Provider, row: dict[str, Any]) -> str:  # type: ignore[misc]
        return "Deployed" if self.runtime.scheduler.now() >= row["DeployAt"] else "InProgress"

    def distribution_view(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        config = row["Config"]
        groups = sorted({group for b in behaviours(config) for group in items(b.get("TrustedKeyGroups"))})
        in_progress = sum(
            1
            for _, inv in self.invalidations.scan(common.scope(account), row["Id"] + "/")
            if self.invalidation_status(inv) == "InProgress"
        )
        view = {
            "Id": row["Id"],
            "ARN": common.arn(account, f"distribution/{row['Id']}"),
            "Status": self.status(row),
            "LastModifiedTime": row["Time"],
            "InProgressInvalidationBatches": in_progress,
            "DomainName": row["DomainName"],
            "ActiveTrustedSigners": {"Enabled": False, "Quantity": 0},
            "ActiveTrustedKeyGroups": {
                "Enabled": bool(groups),
                "Quantity": len(groups),
                **(
                    {
                        "Items": [
                            {"KeyGroupId": g, "KeyPairIds": self.key_pair_ids(account, g)} for g in groups
                        ]
                    }
                    if groups
                    else {}
                ),
            },
            "DistributionConfig": config,
        }
        return view

    def key_pair_ids(self: Provider, account: str, group: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.find_config(self.kinds["KeyGroup"], account, group)
        keys = list((row or {}).get("Config", {}).get("Items") or [])
        return {"Quantity": len(keys), **({"Items": keys} if keys else {})}

    def summary(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        config = row["Config"]
        summary = {
            "Id": row["Id"],
            "ARN": common.arn(account, f"distribution/{row['Id']}"),
            "ETag": row["ETag"],
            "Status": self.status(row),
            "LastModifiedTime": row["Time"],
            "DomainName": row["DomainName"],
        }
        for name in (
            "Aliases",
            "Origins",
            "OriginGroups",
            "DefaultCacheBehavior",
            "CacheBehaviors",
            "CustomErrorResponses",
            "Comment",
            "PriceClass",
            "Enabled",
            "ViewerCertificate",
            "Restrictions",
            "WebACLId",
            "HttpVersion",
            "IsIPV6Enabled",
            "Staging",
        ):
            if name in config:
                summary[name] = config[name]
        for name in ("ConnectionMode", "AnycastIpListId"):
            if config.get(name):
                summary[name] = config[name]
        return summary

    def _distribution_output(self: Provider, account: str, row: dict, created: bool = False) -> dict:  # type: ignore[misc]
        output: dict[str, Any] = {"Distribution": self.distribution_view(account, row), "ETag": row["ETag"]}
        if created:
            output["Location"] = f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{row['Id']}"
        return output

    # -- checks ------------------------------------------------------------------------------

    def check_distribution_config(  # type: ignore[misc]
        self: Provider, account: str, config: dict[str, Any], ident: str | None
    ) -> None:
        _check_quantities(config)
        origins = items(config.get("Origins"))
        if not origins:
            raise invalid("The parameter Origins must contain at least one origin.")
        origin_ids = [origin["Id"] for origin in origins]
        if len(set(origin_ids)) != len(origin_ids):
            raise invalid("The parameter OriginId must be unique.")
        targets = set(origin_ids) | {group["Id"] for group in items(config.get("OriginGroups"))}
        for origin in origins:
            if origin.get("S3OriginConfig") is not None and origin.get("CustomOriginConfig") is not None:
                raise invalid(
                    "You must specify either a CustomOrigin or an S3Origin. You cannot specify both."
                )
            oac = origin.get("OriginAccessControlId")
            if oac:
                self.config_row(self.kinds["OriginAccessControl"], account, oac)
                identity = (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity")
                if identity:
                    raise error(
                        "IllegalOriginAccessConfiguration",
                        "Origin access identity and origin access control cannot both be specified for "
                        "the same origin.",
                    )
            identity = (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or ""
            if identity:
                prefix = "origin-access-identity/cloudfront/"
                kind = self.kinds["CloudFrontOriginAccessIdentity"]
                if (
                    not identity.startswith(prefix)
                    or self.find_config(kind, account, identity[len(prefix) :]) is None
                ):
                    raise error(
                        "InvalidOriginAccessIdentity",
                        "The origin access identity is not valid or doesn't exist.",
                    )
            path = origin.get("OriginPath") or ""
            if path and (not path.startswith("/") or path.endswith("/")):
                raise invalid("The parameter origin path must start with a slash and not end with one.")
        patterns = []
        for behaviour in behaviours(config):
            if behaviour["TargetOriginId"] not in targets:
                raise error("NoSuchOrigin", "One or more of your origins or origin groups do not exist.", 404)
            if "PathPattern" in behaviour:
                patterns.append(behaviour["PathPattern"])
            self._check_behaviour(account, behaviour)
        if len(set(patterns)) != len(patterns):
            raise invalid("The parameter PathPattern must be unique among cache behaviors.")
        aliases = items(config.get("Aliases"))
        certificate = config.get("ViewerCertificate") or {}
        arn = certificate.get("ACMCertificateArn")
        if arn:
            match = _ACM_ARN.match(arn)
            if match is None or match.group("region") != "us-east-1":
                raise error(
                    "InvalidViewerCertificate",
                    "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
                    "or doesn't include a valid certificate chain.",
                )
        if aliases and not (arn or certificate.get("IAMCertificateId")):
            raise error(
                "InvalidViewerCertificate",
                "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a "
                "trusted certificate that validates your authorization to use the domain name. For more "
                "details, see: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
                "CNAMEs.html#alternate-domain-names-requirements",
            )
        for alias in aliases:
            owner = self.alias_owner(alias)
            if owner is not None and owner != ident:
                raise error(
                    "CNAMEAlreadyExists",
                    "One or more of the CNAMEs you provided are already associated with a different resource.",
                    409,
                )
        trust_store = ((config.get("ViewerMtlsConfig") or {}).get("TrustStoreConfig") or {}).get(
            "TrustStoreId"
        )
        if trust_store:
            self._store_row(account, trust_store)
        connection_function = (config.get("ConnectionFunctionAssociation") or {}).get("Id")
        if connection_function:
            self._connection_row(account, connection_function)
        root = config.get("DefaultRootObject") or ""
        if root.startswith("/"):
            raise error("InvalidDefaultRootObject", "The specified default root object is invalid.")
        for response in items(config.get("CustomErrorResponses")):
            code = response["ErrorCode"]
            if code not in (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504):
                raise invalid(f"The parameter ErrorCode {code} is not valid.")
            page = response.get("ResponsePagePath")
            if page and not page.startswith("/"):
                raise error("InvalidResponseCode", "The parameter ResponsePagePath is not valid.")
            if bool(page) != bool(response.get("ResponseCode")):
                raise error(
                    "InvalidResponseCode",
                    "Your request must include both ResponsePagePath and ResponseCode, or neither.",
                )
        geo = (config.get("Restrictions") or {}).get("GeoRestriction") or {}
        if geo.get("RestrictionType") in ("whitelist", "blacklist") and not items(geo):
            raise invalid("The parameter GeoRestriction Items must not be empty for a restriction.")

    def _check_behaviour(self: Provider, account: str, behaviour: dict[str, Any]) -> None:  # type: ignore[misc]
        if behaviour.get("CachePolicyId"):
            self.config_row(self.kinds["CachePolicy"], account, behaviour["CachePolicyId"])
            if behaviour.get("ForwardedValues") is not None:
                raise invalid(
                    "The parameter ForwardedValues cannot be used when a cache policy is associated."
                )
        elif behaviour.get("ForwardedValues") is None:
            raise invalid("The parameter ForwardedValues is required.")
        if behaviour.get("OriginRequestPolicyId"):
            self.config_row(self.kinds["OriginRequestPolicy"], account, behaviour["OriginRequestPolicyId"])
        if behaviour.get("ResponseHeadersPolicyId"):
            self.config_row(
                self.kinds["ResponseHeadersPolicy"], account, behaviour["ResponseHeadersPolicyId"]
            )
        for group in items(behaviour.get("TrustedKeyGroups")):
            self.config_row(self.kinds["KeyGroup"], account, group)
        methods = items(behaviour.get("AllowedMethods"))
        if methods and sorted(methods) not in (
            ["GET", "HEAD"],
            ["GET", "HEAD", "OPTIONS"],
            ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
        ):
            raise invalid("The parameter AllowedMethods is not valid.")
        for association in items(behaviour.get("LambdaFunctionAssociations")):
            if not _VERSION_ARN.match(association["LambdaFunctionARN"]):
                raise error(
                    "InvalidLambdaFunctionAssociation",
                    "The function ARN must reference a specific function version. (The ARN must end with "
                    "the version number.)",
                )
        for association in items(behaviour.get("FunctionAssociations")):
            if association["EventType"] not in ("viewer-request", "viewer-response"):
                raise error(
                    "InvalidFunctionAssociation",
                    "CloudFront Functions can only be associated with viewer-request or viewer-response events.",
                )
            name = association["FunctionARN"].rpartition(":function/")[2]
            if self.published_function(account, name) is None:
                raise error(
                    "InvalidFunctionAssociation",
                    f"The function {association['FunctionARN']} does not exist or is not published.",
                )

    # -- operations ----------------------------------------------------------------------------

    def create_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._create_distribution(context, params["DistributionConfig"], {})

    def create_distribution_with_tags(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        given = params["DistributionConfigWithTags"]
        tags = {tag["Key"]: tag.get("Value", "") for tag in items(given.get("Tags"))}
        return self._create_distribution(context, given["DistributionConfig"], tags)

    def _create_distribution(  # type: ignore[misc]
        self: Provider, context: RequestContext, config: dict, tags: dict[str, str]
    ) -> dict:
        account = context.account
        with self.store.transaction():
            for row in self.distribution_rows(account):
                if row["Given"].get("CallerReference") == config.get("CallerReference"):
                    if row["Given"] == config:
                        return self._distribution_output(account, row, created=True)
                    raise error(
                        "DistributionAlreadyExists",
                        f"The caller reference that you are using to create a distribution is associated "
                        f"with another distribution. Already exists: {row['Id']}",
                        409,
                    )
            self.check_distribution_config(account, config, None)
            ident = common.upper_id("E", 14)
            moment = common.now()
            row = {
                "Id": ident,
                "ETag": common.new_etag(),
                "Given": config,
                "Config": with_defaults(config),
                "Time": moment,
                "Created": moment,
                "DeployAt": self.runtime.scheduler.now() + DEPLOY_SECONDS,
                "DomainName": ident.lower() + common.DOMAIN_SUFFIX,
            }
            self.distributions.put(common.scope(account), ident, row)
            if tags:
                self.tags.put(common.scope(account), common.arn(account, f"distribution/{ident}"), tags)
        self.distribution_changed(account, ident)
        return self._distribution_output(account, row, created=True)

    def get_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._distribution_output(
            context.account, self.distribution_row(context.account, params["Id"])
        )

    def get_distribution_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.distribution_row(context.account, params["Id"])
        return {"DistributionConfig": row["Config"], "ETag": row["ETag"]}

    def update_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        config = params["DistributionConfig"]
        with self.store.transaction():
            row = self.distribution_row(account, params["Id"])
            common.check_if_match(params, row["ETag"])
            if config.get("CallerReference") != row["Config"].get("CallerReference"):
                raise error("IllegalUpdate", "The CallerReference of a distribution cannot be changed.")
            self.check_distribution_config(account, config, row["Id"])
            row.update(
                Given=config,
                Config=with_defaults(config),
                ETag=common.new_etag(),
                Time=common.now(),
                DeployAt=self.runtime.scheduler.now() + DEPLOY_SECONDS,
            )
            self.distributions.put(common.scope(account), row["Id"], row)
        self.distribution_changed(account, row["Id"])
        return self._distribution_output(account, row)

    def delete_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        with self.store.transaction():
            row = self.distribution_row(account, params["Id"])
            common.check_if_match(params, row["ETag"])
            if row["Config"].get("Enabled") or self.status(row) != "Deployed":
                raise error(
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                    409,
                )
            self.distributions.delete(common.scope(account), row["Id"])
            self.tags.delete(common.scope(account), common.arn(account, f"distribution/{row['Id']}"))
            for key, _ in list(self.invalidations.scan(common.scope(account), row["Id"] + "/")):
                self.invalidations.delete(common.scope(account), key)
            self.monitoring.delete(common.scope(account), row["Id"])
        self.distribution_changed(account, row["Id"])
        return {}

    def list_distributions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "DistributionList": self._summaries(
                context.account, self.distribution_rows(context.account), params
            )
        }

    def _summaries(self: Provider, account: str, rows: list[dict], params: dict) -> dict:  # type: ignore[misc]
        return common.listing([self.summary(account, row) for row in rows], params)

    def _ids(self: Provider, rows: list[dict], params: dict) -> dict:  # type: ignore[misc]
        return {"DistributionIdList": common.listing([row["Id"] for row in rows], params, key=lambda i: i)}

    def _using(self: Provider, account: str, member: str, value: str) -> list[dict]:  # type: ignore[misc]
        return [
            row
            for row in self.distribution_rows(account)
            if any(b.get(member) == value for b in behaviours(row["Config"]))
        ]

    def list_distributions_by_cache_policy_id(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.config_row(self.kinds["CachePolicy"], context.account, params["CachePolicyId"])
        return self._ids(self._using(context.account, "CachePolicyId", params["CachePolicyId"]), params)

    def list_distributions_by_origin_request_policy_id(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        ident = params["OriginRequestPolicyId"]
        self.config_row(self.kinds["OriginRequestPolicy"], context.account, ident)
        return self._ids(self._using(context.account, "OriginRequestPolicyId", ident), params)

    def list_distributions_by_response_headers_policy_id(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        ident = params["ResponseHeadersPolicyId"]
        self.config_row(self.kinds["ResponseHeadersPolicy"], context.account, ident)
        return self._ids(self._using(context.account, "ResponseHeadersPolicyId", ident), params)

    def list_distributions_by_key_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        ident = params["KeyGroupId"]
        self.config_row(self.kinds["KeyGroup"], context.account, ident)
        rows = [
            row
            for row in self.distribution_rows(context.account)
            if any(ident in items(b.get("TrustedKeyGroups")) for b in behaviours(row["Config"]))
        ]
        return self._ids(rows, params)

    def list_distributions_by_web_acl_id(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params["WebACLId"]
        if wanted == "null":
            wanted = ""
        rows = [
            row
            for row in self.distribution_rows(context.account)
            if row["Config"].get("WebACLId", "") == wanted
        ]
        return {"DistributionList": self._summaries(context.account, rows, params)}

    def list_distributions_by_realtime_log_config(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        arn = params.get("RealtimeLogConfigArn")
        if not arn and params.get("RealtimeLogConfigName"):
            arn = self.realtime_config(context.account, params["RealtimeLogConfigName"])["ARN"]
        rows = self._using(context.account, "RealtimeLogConfigArn", arn or "")
        return {"DistributionList": self._summaries(context.account, rows, params)}

    def list_distributions_by_anycast_ip_list_id(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        wanted = params["AnycastIpListId"]
        rows = [
            row
            for row in self.distribution_rows(context.account)
            if row["Config"].get("AnycastIpListId") == wanted
        ]
        return {"DistributionList": self._summaries(context.account, rows, params)}

    def list_distributions_by_vpc_origin_id(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params["VpcOriginId"]
        rows = [
            row
            for row in self.distribution_rows(context.account)
            if any(
                (origin.get("VpcOriginConfig") or {}).get("VpcOriginId") == wanted
                for origin in items(row["Config"].get("Origins"))
            )
        ]
        return self._ids(rows, params)

    def list_distributions_by_connection_mode(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params["ConnectionMode"]
        rows = [
            row
            for row in self.distribution_rows(context.account)
            if row["Config"].get("ConnectionMode", "direct") == wanted
        ]
        return {"DistributionList": self._summaries(context.account, rows, params)}

    def list_conflicting_aliases(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.distribution_row(context.account, params["DistributionId"])
        alias = params["Alias"].lower()
        found = []
        for account_scope in self.distributions.scopes():
            for _, row in self.distributions.scan(account_scope):
                for name in items(row["Config"].get("Aliases")):
                    if _alias_matches(alias, name.lower()) and row["Id"] != params["DistributionId"]:
                        owner = account_scope.split("/")[0]
                        masked = owner if owner == context.account else "******" + owner[-4:]
                        found.append({"Alias": name, "DistributionId": row["Id"], "AccountId": masked})
        limit = common.max_items(params, 100)
        result: dict[str, Any] = {"MaxItems": limit, "Quantity": min(len(found), limit)}
        if found:
            result["Items"] = found[:limit]
        return {"ConflictingAliasesList": result}

    def associate_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        alias = params["Alias"]
        with self.store.transaction():
            target = self.distribution_row(account, params["TargetDistributionId"])
            certificate = target["Config"].get("ViewerCertificate") or {}
            if not (certificate.get("ACMCertificateArn") or certificate.get("IAMCertificateId")):
                raise error(
                    "IllegalUpdate",
                    "The target distribution must have a valid SSL certificate that covers the alias.",
                )
            owner = self.alias_owner(alias)
            if owner is not None and owner != target["Id"]:
                source = self.distribution_row(account, owner)
                aliases = [
                    name for name in items(source["Config"].get("Aliases")) if name.lower() != alias.lower()
                ]
                for key in ("Given", "Config"):
                    source[key]["Aliases"] = {
                        "Quantity": len(aliases),
                        **({"Items": aliases} if aliases else {}),
                    }
                source.update(ETag=common.new_etag(), Time=common.now())
                self.distributions.put(common.scope(account), source["Id"], source)
            aliases = items(target["Config"].get("Aliases"))
            if alias.lower() not in [name.lower() for name in aliases]:
                aliases.append(alias)
            for key in ("Given", "Config"):
                target[key]["Aliases"] = {"Quantity": len(aliases), "Items": aliases}
            target.update(ETag=common.new_etag(), Time=common.now())
            self.distributions.put(common.scope(account), target["Id"], target)
        self.distribution_changed(account, None)
        return {}

    # -- invalidations -------------------------------------------------------------------------

    def invalidation_status(self: Provider, row: dict[str, Any]) -> str:  # type: ignore[misc]
        return "Completed" if self.runtime.scheduler.now() >= row["DoneAt"] else "InProgress"

    def _invalidation_view(self: Provider, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "Id": row["Id"],
            "Status": self.invalidation_status(row),
            "CreateTime": row["Time"],
            "InvalidationBatch": row["Batch"],
        }

    def create_invalidation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        dist = self.distribution_row(context.account, params["DistributionId"])
        output = self.record_invalidation(context.account, dist["Id"], params["InvalidationBatch"])
        self.edge_cache.invalidate(dist["Id"], items(params["InvalidationBatch"]["Paths"]))
        output["Location"] = (
            f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{dist['Id']}/invalidation/"
            f"{output['Invalidation']['Id']}"
        )
        return output

    def record_invalidation(  # type: ignore[misc]
        self: Provider, account: str, owner: str, batch: dict[str, Any]
    ) -> dict[str, Any]:
        """A new invalidation of a distribution's (or tenant's) cache, or the one a repeated
        CallerReference with the same paths made."""
        _check_quantities(batch)
        paths = items(batch.get("Paths"))
        if not paths:
            raise invalid("The parameter Paths must contain at least one path.")
        for path in paths:
            if not path.startswith("/") or ("*" in path and not path.endswith("*")):
                raise invalid(f"Your request contains one or more invalid invalidation paths: {path}")
        with self.store.transaction():
            for _, row in self.invalidations.scan(common.scope(account), owner + "/"):
                if row["Batch"]["CallerReference"] == batch["CallerReference"]:
                    if row["Batch"] == batch:
                        return {"Invalidation": self._invalidation_view(row)}
                    raise error(
                        "InvalidationBatchAlreadyExists",
                        "The caller reference you attempted to create the invalidation batch is already in use.",
                        409,
                    )
            ident = common.upper_id("I", 14)
            row = {
                "Id": ident,
                "Batch": batch,
                "Time": common.now(),
                "DoneAt": self.runtime.scheduler.now() + DEPLOY_SECONDS,
            }
            self.invalidations.put(common.scope(account), f"{owner}/{ident}", row)
        return {"Invalidation": self._invalidation_view(row)}

    def read_invalidation(self: Provider, account: str, owner: str, ident: str) -> dict:  # type: ignore[misc]
        row = self.invalidations.get(common.scope(account), f"{owner}/{ident or '-'}")
        if row is None:
            raise error("NoSuchInvalidation", "The specified invalidation does not exist.", 404)
        return {"Invalidation": self._invalidation_view(row)}

    def invalidation_listing(self: Provider, account: str, owner: str, params: dict) -> dict:  # type: ignore[misc]
        rows = [row for _, row in self.invalidations.scan(common.scope(account), owner + "/")]
        rows.sort(key=lambda row: -row["Time"])
        summaries = [
            {"Id": row["Id"], "CreateTime": row["Time"], "Status": self.invalidation_status(row)}
            for row in rows
        ]
        return {"InvalidationList": common.listing(summaries, params)}

    def get_invalidation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.distribution_row(context.account, params["DistributionId"])
        return self.read_invalidation(context.account, params["DistributionId"], params["Id"])

    def list_invalidations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.distribution_row(context.account, params["DistributionId"])
        return self.invalidation_listing(context.account, params["DistributionId"], params)

    # -- tags ----------------------------------------------------------------------------------

    def _tagged(self: Provider, account: str, arn: str) -> str:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "cloudfront":
            raise invalid("An argument is invalid.")
        kind, _, ident = parsed.resource.partition("/")
        exists = False
        if parsed.account == account:
            if kind == "distribution":
                exists = self.distributions.get(common.scope(account), ident or "-") is not None
            elif kind == "function":
                exists = self.functions.get(common.scope(account), ident or "-") is not None
            elif kind in ("origin-access-control", "cache-policy", "key-value-store"):
                exists = True
        if not exists:
            raise error("NoSuchResource", "The specified resource does not exist.", 404)
        return arn

    def list_tags_for_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._tagged(context.account, params["Resource"])
        tags = self.tags.get(common.scope(context.account), arn) or {}
        listed = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
        return {"Tags": {"Items": listed}}

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._tagged(context.account, params["Resource"])
        with self.store.transaction():
            tags = dict(self.tags.get(common.scope(context.account), arn) or {})
            for tag in items(params.get("Tags")):
                key = tag["Key"]
                if not key or len(key) > 128 or key.startswith("aws:"):
                    raise error("InvalidTagging", "The tag key is not valid.")
                tags[key] = tag.get("Value", "")
            if len(tags) > 50:
                raise error("InvalidTagging", "A resource can have at most 50 tags.")
            self.tags.put(common.scope(context.account), arn, tags)
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self._tagged(context.account, params["Resource"])
        with self.store.transaction():
            tags = dict(self.tags.get(common.scope(context.account), arn) or {})
            for key in items(params.get("TagKeys")):
                tags.pop(key, None)
            self.tags.put(common.scope(context.account), arn, tags)
        return {}


def _alias_matches(query: str, name: str) -> bool:
    """Whether an alias (possibly a wildcard: *.example.com) overlaps the one asked about."""
    if query == name:
        return True
    if name.startswith("*."):
        return query.endswith(name[1:])
    if query.startswith("*."):
        return name.endswith(query[1:])
    return False
