"""Elastic Load Balancing v2: application, network and gateway load balancers, listeners and
rules, target groups and their targets (health checks really performed), tags and limits, and
a real data plane for application load balancers (dataplane.py).

Tables, scoped by account and region and keyed by ARN: "load_balancers", "listeners", "rules"
(a listener's rules sort under its ARN, the default rule among them), "target_groups" (their
targets inside), "trust_stores" (their CA bundle and revocation lists inside). Other services (Auto Scaling, CloudFormation) use find_target_group,
register_instances and deregister_instances."""

from __future__ import annotations

import dataclasses
from typing import Any

from overcast.common import pagination, tagging
from overcast.context import RequestContext
from overcast.services.base import BaseProvider, HostRoute
from overcast.services.elbv2 import common as c
from overcast.services.elbv2.balancers import BalancerMixin
from overcast.services.elbv2.dataplane import HOST, PATH, DataPlaneMixin, Served
from overcast.services.elbv2.health import Health, HealthMixin
from overcast.services.elbv2.listeners import ListenerMixin
from overcast.services.elbv2.ssl import POLICIES
from overcast.services.elbv2.targets import TargetGroupMixin, target_key, tg_output
from overcast.services.elbv2.truststores import TrustStoreMixin, new_url_key
from overcast.store import scope as store_scope

LIMITS = {
    "application-load-balancers": 50,
    "condition-values-per-alb-rule": 5,
    "condition-wildcards-per-alb-rule": 5,
    "gateway-load-balancers": 100,
    "gateway-load-balancers-per-vpc": 100,
    "geneve-target-groups": 100,
    "listeners-per-application-load-balancer": 50,
    "listeners-per-network-load-balancer": 50,
    "network-load-balancer-enis-per-vpc": 1200,
    "network-load-balancers": 50,
    "rules-per-application-load-balancer": 100,
    "target-groups": 3000,
    "target-groups-per-action-on-application-load-balancer": 5,
    "target-groups-per-action-on-network-load-balancer": 1,
    "target-groups-per-application-load-balancer": 100,
    "targets-per-application-load-balancer": 1000,
    "targets-per-availability-zone-per-gateway-load-balancer": 300,
    "targets-per-availability-zone-per-network-load-balancer": 500,
    "targets-per-network-load-balancer": 3000,
    "certificates-per-application-load-balancer": 25,
    "certificates-per-network-load-balancer": 25,
}
MAX_TAGS = 50
#: Which table and not-found error each kind of taggable ARN has.
TAGGABLE = {
    "loadbalancer": ("lbs", c.lb_not_found),
    "targetgroup": ("tgs", c.tg_not_found),
    "listener": ("listeners", c.listener_not_found),
    "listener-rule": ("rules", c.rule_not_found),
    "truststore": (
        "trust_stores",
        lambda: c.error("TrustStoreNotFound", "One or more trust stores not found"),
    ),
}


class Provider(
    BalancerMixin, TargetGroupMixin, ListenerMixin, HealthMixin, DataPlaneMixin, TrustStoreMixin, BaseProvider
):
    service = "elbv2"
    host_routes = (HostRoute(HOST, "serve_host"),)
    path_routes = (HostRoute(PATH, "serve_path"),)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.lbs = self.store.table("elbv2", "load_balancers")
        self.listeners = self.store.table("elbv2", "listeners")
        self.rules = self.store.table("elbv2", "rules")
        self.tgs = self.store.table("elbv2", "target_groups")
        self.trust_stores = self.store.table("elbv2", "trust_stores")
        #: Signs the content URLs of trust stores (valid while this process runs).
        self.url_key = new_url_key()
        self.health: dict[str, dict[str, Health]] = {}
        self.served: dict[str, Served] = {}
        self.dns_index: dict[str, tuple[str, str]] | None = None
        self.name_index: dict[str, list[tuple[str, str]]] = {}
        self.tag_rules = tagging.TagRules(
            refuse=tagging.refusals(
                "ValidationError",
                {
                    tagging.TagProblem.TOO_MANY: (
                        "TooManyTags",
                        "The quota for the number of tags has been reached",
                    ),
                    tagging.TagProblem.DUPLICATE_KEY: (
                        "DuplicateTagKeys",
                        "A tag key was specified more than once",
                    ),
                },
                limit=MAX_TAGS,
            ),
            max_tags=MAX_TAGS,
        )
        self.stack_tag_rules = dataclasses.replace(self.tag_rules, reserved_prefix=None)

    def start(self) -> None:
        self.resume_health()

    def reset(self) -> None:
        for tg_arn in list(self.health):
            self.forget_health(tg_arn)
        self.changed()

    def state_replaced(self) -> None:
        self.health = {}
        self.changed()

    def close(self) -> None:
        self.runtime.scheduler.cancel_prefix("elbv2/")

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def page(self, operation: str, params: dict[str, Any], items: list[Any]) -> dict:
        page_size = params.get("PageSize")
        if page_size is not None and not 1 <= page_size <= 400:
            raise c.invalid("Page size must be between 1 and 400")
        return pagination.paginate_list(
            self.store,
            "elbv2",
            operation,
            params,
            items,
            bad_token=lambda: c.invalid("The marker is not valid"),
            default_limit=400,
        )

    def limit(self, name: str) -> int:
        return LIMITS[name]

    def tags_of(self, context: RequestContext, given: list[dict[str, Any]] | None) -> dict[str, str]:
        """A request's tags; CloudFormation's own (aws:cloudformation:*) only from CloudFormation."""
        rules = self.stack_tag_rules if context.extra.get("internal") else self.tag_rules
        return tagging.tag_map(given, rules)

    # -- tags ----------------------------------------------------------------------------------

    def _tagged(self, context: RequestContext, arn: str) -> tuple[Any, dict[str, Any]]:
        for kind, (table_name, missing) in TAGGABLE.items():
            if c.resource_of(arn, kind) is not None:
                table = getattr(self, table_name)
                row = table.get(self.scope_of(context), arn)
                if row is None:
                    raise missing()
                return table, row
        raise c.invalid(f"'{arn}' is not a valid load balancer, target group, listener or rule ARN")

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            for arn in params["ResourceArns"]:
                table, row = self._tagged(context, arn)
                row["Tags"] = tagging.add_tags(row.get("Tags"), params["Tags"], self.tag_rules)
                table.put(self.scope_of(context), arn, row)
        return {}

    def remove_tags(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            for arn in params["ResourceArns"]:
                table, row = self._tagged(context, arn)
                row["Tags"] = tagging.remove_tags(row.get("Tags"), params["TagKeys"])
                table.put(self.scope_of(context), arn, row)
        return {}

    def describe_tags(self, context: RequestContext, params: dict) -> dict:
        arns = params["ResourceArns"]
        if len(arns) > 20:
            raise c.invalid("At most 20 resource ARNs can be specified")
        out = []
        for arn in arns:
            _, row = self._tagged(context, arn)
            out.append({"ResourceArn": arn, "Tags": tagging.tag_list(row.get("Tags"))})
        return {"TagDescriptions": out}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parts = arn.split(":")
        if len(parts) < 6:
            return None
        scope = store_scope(parts[4], parts[3])
        for kind, (table_name, _) in TAGGABLE.items():
            if c.resource_of(arn, kind) is not None:
                row = getattr(self, table_name).get(scope, arn)
                return dict(row.get("Tags") or {}) if row else None
        return None

    # -- account -------------------------------------------------------------------------------

    def describe_account_limits(self, context: RequestContext, params: dict) -> dict:
        limits = [{"Name": name, "Max": str(value)} for name, value in LIMITS.items()]
        return self.page("DescribeAccountLimits", params, limits)

    def describe_ssl_policies(self, context: RequestContext, params: dict) -> dict:
        names = params.get("Names")
        if names:
            missing = [n for n in names if n not in POLICIES]
            if missing:
                raise c.error("SSLPolicyNotFound", f"SSL policy '{missing[0]}' not found")
            policies = [POLICIES[n] for n in dict.fromkeys(names)]
        else:
            policies = list(POLICIES.values())
        kind = params.get("LoadBalancerType")
        if kind:
            policies = [p for p in policies if kind in p["SupportedLoadBalancerTypes"]]
        return self.page("DescribeSSLPolicies", params, policies)

    def modify_ip_pools(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self.find_lb(context, params["LoadBalancerArn"])
            if row["Type"] != "application":
                raise c.invalid("IPAM pools can only be used with application load balancers")
            pools = dict(row.get("IpamPools") or {})
            if params.get("IpamPools"):
                pools.update(params["IpamPools"])
            for name in params.get("RemoveIpamPools") or []:
                if name == "ipv4":
                    pools.pop("Ipv4IpamPoolId", None)
            if pools:
                row["IpamPools"] = pools
            else:
                row.pop("IpamPools", None)
            self.lbs.put(self.scope_of(context), row["LoadBalancerArn"], row)
        return {"IpamPools": pools} if pools else {}

    # -- for other services ----------------------------------------------------------------------

    def find_target_group(self, account: str, region: str, arn: str) -> dict[str, Any] | None:
        """A target group as DescribeTargetGroups shows it, or None."""
        scope = store_scope(account, region)
        row = self.tgs.get(scope, arn) if c.resource_of(arn, "targetgroup") else None
        return tg_output(row, self.tg_load_balancers(scope, arn)) if row else None

    def register_instances(
        self, account: str, region: str, tg_arn: str, targets: list[dict[str, Any]]
    ) -> None:
        """Register targets ({"Id", "Port"?}) in a target group as RegisterTargets does
        (Auto Scaling's instances); ServiceError as RegisterTargets answers."""
        self.register_targets(_context(account, region), {"TargetGroupArn": tg_arn, "Targets": targets})

    def deregister_instances(
        self, account: str, region: str, tg_arn: str, targets: list[dict[str, Any]]
    ) -> None:
        """Deregister targets from a target group; targets not registered are skipped."""
        scope = store_scope(account, region)
        row = self.tgs.get(scope, tg_arn)
        if row is None:
            return
        present = [
            t
            for t in targets
            if target_key({"Id": t["Id"], "Port": t.get("Port") or row.get("Port")}) in row["Targets"]
        ]
        if present:
            self.deregister_targets(_context(account, region), {"TargetGroupArn": tg_arn, "Targets": present})

    def target_health(self, account: str, region: str, tg_arn: str) -> list[dict[str, Any]]:
        """DescribeTargetHealth's TargetHealthDescriptions of a target group."""
        return self.describe_target_health(_context(account, region), {"TargetGroupArn": tg_arn})[
            "TargetHealthDescriptions"
        ]


def _context(account: str, region: str) -> RequestContext:
    return RequestContext.internal("elbv2", account, region)
