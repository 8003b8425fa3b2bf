"""Amazon CloudFront: distributions and everything they use (policies, origin access,
key groups, functions, KeyValueStores, ...) as a control plane, and a data plane that serves
each distribution on port 4566 (dataplane.py) with its edge cache, CloudFront Functions on a
Node.js worker and Lambda@Edge through the Lambda service.

CloudFront is global: its tables are scoped by account alone."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from overcast.context import RequestContext
from overcast.services.base import BaseProvider, HostRoute
from overcast.services.cloudfront import common, configs, managed
from overcast.services.cloudfront.cache import EdgeCache
from overcast.services.cloudfront.common import error, invalid
from overcast.services.cloudfront.configs import ConfigResources, Kind
from overcast.services.cloudfront.connection import Connection
from overcast.services.cloudfront.dataplane import ANY_HOST, EDGE_PATH, ID_HOST, DataPlane, Edge
from overcast.services.cloudfront.distributions import Distributions, behaviours, items
from overcast.services.cloudfront.extras import Extras
from overcast.services.cloudfront.functions import Functions
from overcast.services.cloudfront.jsworker import NodeWorker
from overcast.services.cloudfront.managedcerts import ManagedCertificates
from overcast.services.cloudfront.streaming import Streaming
from overcast.services.cloudfront.tenants import Tenants


def _oai_extra(ident: str, config: dict[str, Any]) -> dict[str, Any]:
    # The canonical user id S3 ACLs grant to: 64 hex digits, stable for the identity.
    return {"S3CanonicalUserId": hashlib.sha384(ident.encode()).hexdigest()[:96]}


def _check_oac(provider: Any, context: RequestContext, config: dict[str, Any]) -> None:
    if config.get("SigningProtocol") != "sigv4":
        raise invalid("The parameter SigningProtocol is not valid.")
    if config.get("SigningBehavior") not in ("never", "always", "no-override"):
        raise invalid("The parameter SigningBehavior is not valid.")
    if config.get("OriginAccessControlOriginType") not in ("s3", "mediastore", "lambda", "mediapackagev2"):
        raise invalid("The parameter OriginAccessControlOriginType is not valid.")
    config.setdefault("Description", "")


def _check_public_key(provider: Any, context: RequestContext, config: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_public_key(config.get("EncodedKey", "").encode())
    except ValueError:
        key = None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size != 2048:
        raise error(
            "InvalidArgument", "The specified public key is invalid: it must be a 2048-bit RSA key in PEM."
        )
    config.setdefault("Comment", "")  # AWS stores and answers an empty comment when none is given


def _check_key_group(provider: Any, context: RequestContext, config: dict[str, Any]) -> None:
    keys = list(config.get("Items") or [])
    if not keys:
        raise invalid("A key group must contain at least one public key.")
    for key in keys:
        provider.config_row(provider.kinds["PublicKey"], context.account, key)


def _check_cache_policy(provider: Any, context: RequestContext, config: dict[str, Any]) -> None:
    minimum = config.get("MinTTL", 0)
    default = config.get("DefaultTTL", 86400)
    maximum = config.get("MaxTTL", 31536000)
    if not 0 <= minimum <= default <= maximum:
        raise invalid("The TTLs must be ordered MinTTL <= DefaultTTL <= MaxTTL.")
    config.setdefault("DefaultTTL", default)
    config.setdefault("MaxTTL", maximum)


KINDS: tuple[Kind, ...] = (
    Kind(
        "CachePolicy",
        "cache-policy",
        "cache_policies",
        common.new_uuid,
        "NoSuchCachePolicy",
        "CachePolicyAlreadyExists",
        "CachePolicyInUse",
        "The cache policy does not exist.",
        check=_check_cache_policy,
        managed=managed.CACHE_POLICIES,
    ),
    Kind(
        "OriginRequestPolicy",
        "origin-request-policy",
        "origin_request_policies",
        common.new_uuid,
        "NoSuchOriginRequestPolicy",
        "OriginRequestPolicyAlreadyExists",
        "OriginRequestPolicyInUse",
        "The origin request policy does not exist.",
        managed=managed.ORIGIN_REQUEST_POLICIES,
    ),
    Kind(
        "ResponseHeadersPolicy",
        "response-headers-policy",
        "response_headers_policies",
        common.new_uuid,
        "NoSuchResponseHeadersPolicy",
        "ResponseHeadersPolicyAlreadyExists",
        "ResponseHeadersPolicyInUse",
        "The response headers policy does not exist.",
        managed=managed.RESPONSE_HEADERS_POLICIES,
    ),
    Kind(
        "OriginAccessControl",
        "origin-access-control",
        "origin_access_controls",
        common.upper_id,
        "NoSuchOriginAccessControl",
        "OriginAccessControlAlreadyExists",
        "OriginAccessControlInUse",
        "The origin access control does not exist.",
        time_member=None,
        check=_check_oac,
    ),
    Kind(
        "CloudFrontOriginAccessIdentity",
        "origin-access-identity/cloudfront",
        "origin_access_identities",
        common.upper_id,
        "NoSuchCloudFrontOriginAccessIdentity",
        "CloudFrontOriginAccessIdentityAlreadyExists",
        "CloudFrontOriginAccessIdentityInUse",
        "The specified origin access identity does not exist.",
        time_member=None,
        unique=None,
        caller_reference=True,
        extra=_oai_extra,
    ),
    Kind(
        "KeyGroup",
        "key-group",
        "key_groups",
        common.new_uuid,
        "NoSuchResource",
        "KeyGroupAlreadyExists",
        "ResourceInUse",
        "The specified key group does not exist.",
        check=_check_key_group,
    ),
    Kind(
        "PublicKey",
        "public-key",
        "public_keys",
        lambda: common.upper_id("K", 14),
        "NoSuchPublicKey",
        "PublicKeyAlreadyExists",
        "PublicKeyInUse",
        "The specified public key does not exist.",
        time_member="CreatedTime",
        caller_reference=True,
        check=_check_public_key,
    ),
    Kind(
        "FieldLevelEncryption",
        "field-level-encryption",
        "fle_configs",
        common.upper_id,
        "NoSuchFieldLevelEncryptionConfig",
        "FieldLevelEncryptionConfigAlreadyExists",
        "FieldLevelEncryptionConfigInUse",
        "The specified configuration for field-level encryption doesn't exist.",
        unique=None,
        caller_reference=True,
    ),
    Kind(
        "FieldLevelEncryptionProfile",
        "field-level-encryption-profile",
        "fle_profiles",
        common.upper_id,
        "NoSuchFieldLevelEncryptionProfile",
        "FieldLevelEncryptionProfileAlreadyExists",
        "FieldLevelEncryptionProfileInUse",
        "The specified profile for field-level encryption doesn't exist.",
        caller_reference=True,
    ),
    Kind(
        "ContinuousDeploymentPolicy",
        "continuous-deployment-policy",
        "continuous_deployment_policies",
        common.new_uuid,
        "NoSuchContinuousDeploymentPolicy",
        "ContinuousDeploymentPolicyAlreadyExists",
        "ContinuousDeploymentPolicyInUse",
        "The continuous deployment policy doesn't exist.",
        unique=None,
    ),
)

#: The behaviour member that names each kind (for "in use" checks).
_USED_BY: dict[str, str] = {
    "CachePolicy": "CachePolicyId",
    "OriginRequestPolicy": "OriginRequestPolicyId",
    "ResponseHeadersPolicy": "ResponseHeadersPolicyId",
    "FieldLevelEncryption": "FieldLevelEncryptionId",
}


class Provider(
    DataPlane,
    Functions,
    Connection,
    Tenants,
    ManagedCertificates,
    Streaming,
    Extras,
    Distributions,
    ConfigResources,
    BaseProvider,
):
    service = "cloudfront"
    host_routes = (HostRoute(ID_HOST, "serve_id_host"), HostRoute(ANY_HOST, "serve_alias"))
    path_routes = (HostRoute(EDGE_PATH, "serve_path"),)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.distributions = table("cloudfront", "distributions")
        self.invalidations = table("cloudfront", "invalidations")
        self.tags = table("cloudfront", "tags")
        self.functions = table("cloudfront", "functions")
        self.kvs = table("cloudfront", "key_value_stores")
        self.realtime = table("cloudfront", "realtime_log_configs")
        self.monitoring = table("cloudfront", "monitoring_subscriptions")
        self.anycast = table("cloudfront", "anycast_ip_lists")
        self.vpc_origins = table("cloudfront", "vpc_origins")
        self.resource_policies = table("cloudfront", "resource_policies")
        self.tenants = table("cloudfront", "distribution_tenants")
        self.connection_groups = table("cloudfront", "connection_groups")
        self.trust_stores = table("cloudfront", "trust_stores")
        self.connection_functions = table("cloudfront", "connection_functions")
        self.kinds: dict[str, Kind] = {kind.name: kind for kind in KINDS}
        self.edge_cache = EdgeCache()
        self.edges: dict[str, Edge | None] = {}
        self._accounts: dict[str, str] | None = None
        self._aliases: dict[str, str] = {}
        self.inflight: dict[tuple, Any] = {}
        self.node = NodeWorker()
        #: Origin fetches made (misses), for tests and benchmarks to count.
        self.origin_fetches = 0

    @property
    def distributions_exist(self) -> bool:
        return bool(self.distribution_accounts())

    def state_replaced(self) -> None:
        self.edges.clear()
        self._accounts = None
        self.edge_cache.forget()

    def reset(self) -> None:
        self.edge_cache.forget()

    def close(self) -> None:
        self.node.close()

    def config_in_use(self, kind: Kind, account: str, ident: str) -> bool:
        member = _USED_BY.get(kind.name)
        rows = self.distribution_rows(account)
        if member is not None:
            return any(b.get(member) == ident for row in rows for b in behaviours(row["Config"]))
        if kind.name == "OriginAccessControl":
            return any(
                o.get("OriginAccessControlId") == ident
                for row in rows
                for o in items(row["Config"].get("Origins"))
            )
        if kind.name == "CloudFrontOriginAccessIdentity":
            wanted = f"origin-access-identity/cloudfront/{ident}"
            return any(
                (o.get("S3OriginConfig") or {}).get("OriginAccessIdentity") == wanted
                for row in rows
                for o in items(row["Config"].get("Origins"))
            )
        if kind.name == "KeyGroup":
            return any(
                ident in items(b.get("TrustedKeyGroups")) for row in rows for b in behaviours(row["Config"])
            )
        if kind.name == "PublicKey":
            groups = self.config_rows(self.kinds["KeyGroup"], account)
            return any(ident in items(group["Config"]) for group in groups)
        if kind.name == "ContinuousDeploymentPolicy":
            return any(row["Config"].get("ContinuousDeploymentPolicyId") == ident for row in rows)
        return False

    def internal_request(self, request: Any, subpath: str) -> Any:
        """GET /_overcast/cloudfront/stats: the edge cache's size and the origin fetches made."""
        import json

        from overcast.http import Response

        if subpath.rstrip("/") != "stats":
            return None
        stats = {
            "origin_fetches": self.origin_fetches,
            "cached_responses": len(self.edge_cache.entries),
            "cached_bytes": self.edge_cache.size,
        }
        return Response(200, {"Content-Type": "application/json"}, json.dumps(stats).encode())

    # -- real-time log configs -------------------------------------------------------------------

    def realtime_config(self, account: str, name: str | None, arn: str | None = None) -> dict[str, Any]:
        for _, row in self.realtime.scan(common.scope(account)):
            if (name and row["Name"] == name) or (arn and row["ARN"] == arn):
                return dict(row)
        raise error("NoSuchRealtimeLogConfig", "The real-time log configuration does not exist.", 404)

    def create_realtime_log_config(self, context: RequestContext, params: dict) -> dict:
        rate = params["SamplingRate"]
        if not 1 <= rate <= 100:
            raise invalid("The SamplingRate must be between 1 and 100.")
        with self.store.transaction():
            if self.realtime.get(common.scope(context.account), params["Name"]) is not None:
                raise error(
                    "RealtimeLogConfigAlreadyExists",
                    "A real-time log configuration with this name already exists.",
                    409,
                )
            row = {
                "ARN": common.arn(context.account, f"realtime-log-config/{params['Name']}"),
                "Name": params["Name"],
                "SamplingRate": rate,
                "EndPoints": params["EndPoints"],
                "Fields": params["Fields"],
            }
            self.realtime.put(common.scope(context.account), params["Name"], row)
        return {"RealtimeLogConfig": row}

    def get_realtime_log_config(self, context: RequestContext, params: dict) -> dict:
        return {
            "RealtimeLogConfig": self.realtime_config(context.account, params.get("Name"), params.get("ARN"))
        }

    def update_realtime_log_config(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.realtime_config(context.account, params.get("Name"), params.get("ARN"))
            for member in ("EndPoints", "Fields", "SamplingRate"):
                if params.get(member) is not None:
                    row[member] = params[member]
            self.realtime.put(common.scope(context.account), row["Name"], row)
        return {"RealtimeLogConfig": row}

    def delete_realtime_log_config(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.realtime_config(context.account, params.get("Name"), params.get("ARN"))
            if any(
                b.get("RealtimeLogConfigArn") == row["ARN"]
                for dist in self.distribution_rows(context.account)
                for b in behaviours(dist["Config"])
            ):
                raise error("RealtimeLogConfigInUse", "The real-time log configuration is in use.", 400)
            self.realtime.delete(common.scope(context.account), row["Name"])
        return {}

    def list_realtime_log_configs(self, context: RequestContext, params: dict) -> dict:
        rows = [row for _, row in self.realtime.scan(common.scope(context.account))]
        result = common.listing(rows, params, key=lambda row: row["Name"])
        result.pop("Quantity", None)
        result.setdefault("Items", [])
        return {"RealtimeLogConfigs": result}

    # -- monitoring subscriptions ----------------------------------------------------------------

    def create_monitoring_subscription(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            self.distribution_row(context.account, params["DistributionId"])
            if self.monitoring.get(common.scope(context.account), params["DistributionId"]) is not None:
                raise error(
                    "MonitoringSubscriptionAlreadyExists",
                    "A monitoring subscription already exists for the distribution.",
                    409,
                )
            self.monitoring.put(
                common.scope(context.account), params["DistributionId"], params["MonitoringSubscription"]
            )
        return {"MonitoringSubscription": params["MonitoringSubscription"]}

    def get_monitoring_subscription(self, context: RequestContext, params: dict) -> dict:
        self.distribution_row(context.account, params["DistributionId"])
        found = self.monitoring.get(common.scope(context.account), params["DistributionId"])
        if found is None:
            raise error(
                "NoSuchMonitoringSubscription",
                "A monitoring subscription does not exist for the distribution.",
                404,
            )
        return {"MonitoringSubscription": found}

    def delete_monitoring_subscription(self, context: RequestContext, params: dict) -> dict:
        self.distribution_row(context.account, params["DistributionId"])
        if not self.monitoring.delete(common.scope(context.account), params["DistributionId"]):
            raise error(
                "NoSuchMonitoringSubscription",
                "A monitoring subscription does not exist for the distribution.",
                404,
            )
        return {}


def _install(kind: Kind, stem: str | None = None) -> None:
    for name, handler in configs.operations(kind, stem).items():
        setattr(Provider, name, handler)


_INSTALLED: dict[str, Callable[..., dict]] = {}
for _kind in KINDS:
    _install(_kind, "field_level_encryption_config" if _kind.name == "FieldLevelEncryption" else None)
