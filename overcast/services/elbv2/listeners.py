"""Listeners and their rules: protocol and port by load balancer type, certificates and SSL
policies, default actions (the listener's default rule), rules with priorities."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.services.elbv2 import checks
from overcast.services.elbv2 import common as c
from overcast.services.elbv2.ssl import DEFAULT_POLICY, POLICIES

if TYPE_CHECKING:
    from overcast.services.elbv2.provider import Provider

PROTOCOLS = {
    "application": ("HTTP", "HTTPS"),
    "network": ("TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC"),
    "gateway": (),
}
SECURE = ("HTTPS", "TLS")
TG_PROTOCOLS = {
    "application": ("HTTP", "HTTPS"),
    "network": ("TCP", "TLS", "UDP", "TCP_UDP"),
    "gateway": ("GENEVE",),
}
LISTENER_KEYS = (
    "ListenerArn",
    "LoadBalancerArn",
    "Port",
    "Protocol",
    "Certificates",
    "SslPolicy",
    "AlpnPolicy",
    "MutualAuthentication",
)


def listener_output(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in LISTENER_KEYS if row.get(k) is not None}
    if out.get("Certificates"):
        out["Certificates"] = [
            {"CertificateArn": x["CertificateArn"]} for x in row["Certificates"] if x.get("IsDefault")
        ]
    out["DefaultActions"] = checks.shown_actions(row["DefaultActions"])
    return out


def rule_output(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "RuleArn": row["RuleArn"],
        "Priority": "default" if row["IsDefault"] else str(row["Priority"]),
        "Conditions": row["Conditions"],
        "Actions": checks.shown_actions(row["Actions"]),
        "IsDefault": row["IsDefault"],
    }
    if row.get("Transforms"):
        out["Transforms"] = row["Transforms"]
    return out


class ListenerMixin:
    def find_listener(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.listeners.get(self.scope_of(context), arn) if c.resource_of(arn, "listener") else None
        if row is None:
            raise c.listener_not_found()
        return row

    def listeners_of(self: Provider, context: RequestContext, lb_arn: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        return self.listeners_of_scope(self.scope_of(context), lb_arn)

    def listeners_of_scope(self: Provider, scope: str, lb_arn: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        prefix = lb_arn.replace(":loadbalancer/", ":listener/", 1) + "/"
        return [row for _, row in self.listeners.scan(scope, prefix=prefix)]

    def rules_of(self: Provider, scope: str, listener_arn: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        prefix = listener_arn.replace(":listener/", ":listener-rule/", 1) + "/"
        rows = [row for _, row in self.rules.scan(scope, prefix=prefix)]
        return sorted(rows, key=lambda r: (r["IsDefault"], r.get("Priority") or 0))

    def drop_listener(self: Provider, scope: str, listener: dict[str, Any]) -> None:  # type: ignore[misc]
        for rule in self.rules_of(scope, listener["ListenerArn"]):
            self.rules.delete(scope, rule["RuleArn"])
        self.listeners.delete(scope, listener["ListenerArn"])

    def _tg_checker(self: Provider, context: RequestContext, lb: dict[str, Any]) -> Any:  # type: ignore[misc]
        scope = self.scope_of(context)

        def check(arn: str) -> None:
            tg = self.tgs.get(scope, arn) if c.resource_of(arn, "targetgroup") else None
            if tg is None:
                raise c.error("TargetGroupNotFound", f"Target group '{arn}' not found")
            lb_type = lb["Type"]
            if tg["TargetType"] == "lambda" and lb_type != "application":
                raise c.invalid(
                    f"Target group '{arn}' with target type 'lambda' can only be used with application load balancers"
                )
            if tg["TargetType"] == "alb" and lb_type != "network":
                raise c.invalid(
                    f"Target group '{arn}' with target type 'alb' can only be used with network load balancers"
                )
            if tg["TargetType"] != "lambda" and tg.get("Protocol") not in TG_PROTOCOLS[lb_type]:
                raise c.error(
                    "IncompatibleProtocols",
                    f"The protocol of target group '{arn}' is not compatible with a load balancer of type '{lb_type}'",
                )
            if tg.get("VpcId") and tg["VpcId"] != lb["VpcId"]:
                raise c.invalid(f"Target group '{arn}' is not in the load balancer's VPC")
            others = [x for x in self.tg_load_balancers(scope, arn) if x != lb["LoadBalancerArn"]]
            if others and tg["TargetType"] != "lambda":
                raise c.error(
                    "TargetGroupAssociationLimit",
                    f"The following target groups cannot be associated with more than one load balancer: {arn}",
                )

        return check

    def _certificates(self: Provider, context: RequestContext, given: list[dict] | None) -> list[dict]:  # type: ignore[misc]
        out = []
        for position, certificate in enumerate(given or []):
            arn = certificate.get("CertificateArn") or ""
            self._check_certificate(context, arn)
            out.append({"CertificateArn": arn, "IsDefault": position == 0})
        return out

    def _check_certificate(self: Provider, context: RequestContext, arn: str) -> None:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service not in ("acm", "iam"):
            raise c.error("CertificateNotFound", f"Certificate '{arn}' not found")
        if parsed.service == "acm" and not self.runtime.provider("acm").certificate_exists(arn):
            raise c.error("CertificateNotFound", f"Certificate '{arn}' not found")

    def _listener_settings(  # type: ignore[misc]
        self: Provider, context: RequestContext, lb: dict[str, Any], row: dict[str, Any], params: dict
    ) -> None:
        """Apply the protocol, port, certificates and policy of Create/ModifyListener to row."""
        lb_type = lb["Type"]
        for key in ("Protocol", "Port", "SslPolicy", "AlpnPolicy", "MutualAuthentication"):
            if params.get(key) is not None:
                row[key] = params[key]
        if params.get("Certificates") is not None:
            row["Certificates"] = self._certificates(context, params["Certificates"])
        protocol = row.get("Protocol")
        if lb_type == "gateway":
            if protocol is not None or row.get("Port") is not None:
                raise c.invalid("Protocol and port cannot be specified for gateway load balancer listeners")
        else:
            if protocol is None:
                raise c.invalid("A listener protocol must be specified")
            if protocol not in PROTOCOLS[lb_type]:
                allowed = "HTTP, HTTPS" if lb_type == "application" else "UDP, TCP, TLS, TCP_UDP"
                raise c.invalid(f"Listener protocol '{protocol}' must be one of '{allowed}'")
            if row.get("Port") is None:
                raise c.invalid("A listener port must be specified")
            if not 1 <= row["Port"] <= 65535:
                raise c.invalid("Listener port must be between 1 and 65535")
        if protocol in SECURE:
            if not row.get("Certificates"):
                raise c.error(
                    "CertificateNotFound", f"A certificate must be specified for {protocol} listeners"
                )
            row.setdefault("SslPolicy", DEFAULT_POLICY)
            if row["SslPolicy"] not in POLICIES:
                raise c.error("SSLPolicyNotFound", f"SSL policy '{row['SslPolicy']}' not found")
        else:
            if params.get("Certificates") or params.get("SslPolicy"):
                raise c.invalid(f"Certificates and SSL policies cannot be specified for {protocol} listeners")
            row.pop("Certificates", None)
            row.pop("SslPolicy", None)
        mutual = params.get("MutualAuthentication")
        if mutual is not None:
            row["MutualAuthentication"] = self._mutual(context, protocol, mutual)
        if row.get("AlpnPolicy") and protocol != "TLS":
            raise c.invalid("An ALPN policy can only be specified for TLS listeners")
        for other in self.listeners_of(context, lb["LoadBalancerArn"]):
            if other["ListenerArn"] != row.get("ListenerArn") and other.get("Port") == row.get("Port"):
                raise c.error(
                    "DuplicateListener", "A listener already exists on this port for this load balancer"
                )

    def _mutual(self: Provider, context: RequestContext, protocol: str | None, given: dict) -> dict:  # type: ignore[misc]
        """A listener's mutual TLS settings, checked: verify names an existing trust store."""
        mode = given.get("Mode") or "off"
        if mode not in ("off", "passthrough", "verify"):
            raise c.invalid("Mutual authentication mode must be 'off', 'passthrough' or 'verify'")
        if mode != "off" and protocol != "HTTPS":
            raise c.invalid("Mutual authentication can only be used on HTTPS listeners")
        out: dict[str, Any] = {"Mode": mode}
        if mode == "verify":
            arn = given.get("TrustStoreArn") or ""
            if not arn:
                raise c.invalid("A trust store must be specified for mutual authentication mode 'verify'")
            self.find_trust_store(context, arn)
            out["TrustStoreArn"] = arn
            out["IgnoreClientCertificateExpiry"] = bool(given.get("IgnoreClientCertificateExpiry"))
            out["TrustStoreAssociationStatus"] = "active"
            out["AdvertiseTrustStoreCaNames"] = given.get("AdvertiseTrustStoreCaNames") or "off"
        elif given.get("TrustStoreArn"):
            raise c.invalid(f"A trust store cannot be specified for mutual authentication mode '{mode}'")
        return out

    def create_listener(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            lb = self.find_lb(context, params["LoadBalancerArn"])
            row: dict[str, Any] = {"LoadBalancerArn": lb["LoadBalancerArn"]}
            self._listener_settings(context, lb, row, params)
            actions = checks.check_actions(
                params["DefaultActions"], row.get("Protocol"), self._tg_checker(context, lb)
            )
            if len(self.listeners_of(context, lb["LoadBalancerArn"])) >= self.limit(
                "listeners-per-application-load-balancer"
            ):
                raise c.error("TooManyListeners", "The quota for the number of listeners has been reached")
            tail = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
            arn = c.arn(context.region, context.account, f"listener/{tail}/{c.new_id()}")
            row.update(
                {
                    "ListenerArn": arn,
                    "DefaultActions": actions,
                    "Tags": self.tags_of(context, params.get("Tags")),
                }
            )
            row["Attributes"] = c.listener_attributes(row.get("Protocol"))
            row["Created"] = time.time()
            self.listeners.put(scope, arn, row)
            rule_arn = arn.replace(":listener/", ":listener-rule/", 1) + "/" + c.new_id()
            self.rules.put(
                scope,
                rule_arn,
                {
                    "RuleArn": rule_arn,
                    "ListenerArn": arn,
                    "LoadBalancerArn": lb["LoadBalancerArn"],
                    "IsDefault": True,
                    "Priority": None,
                    "Conditions": [],
                    "Actions": actions,
                    "Tags": {},
                },
            )
        self.changed()
        self.watch_forwarded(scope, actions)
        return {"Listeners": [listener_output(row)]}

    def watch_forwarded(self: Provider, scope: str, actions: list[dict[str, Any]]) -> None:  # type: ignore[misc]
        from overcast.services.elbv2.targets import forwarded

        for tg_arn in forwarded(actions):
            self.watch_health(scope, tg_arn)

    def describe_listeners(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        lb_arn, arns = params.get("LoadBalancerArn"), params.get("ListenerArns")
        if bool(lb_arn) == bool(arns):
            raise c.invalid("You must specify either listener ARNs or a load balancer ARN")
        if lb_arn:
            self.find_lb(context, lb_arn)
            rows = sorted(self.listeners_of(context, lb_arn), key=lambda r: r["Created"])
        else:
            rows = [self.find_listener(context, arn) for arn in dict.fromkeys(arns or [])]
        return self.page("DescribeListeners", params, [listener_output(r) for r in rows])

    def modify_listener(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_listener(context, params["ListenerArn"])
            old_actions = row["DefaultActions"]
            lb = self.find_lb(context, row["LoadBalancerArn"])
            if params.get("Certificates") is not None:
                extra = [x for x in row.get("Certificates") or [] if not x.get("IsDefault")]
                self._listener_settings(context, lb, row, params)
                row["Certificates"] = row["Certificates"] + [
                    x for x in extra if x["CertificateArn"] != row["Certificates"][0]["CertificateArn"]
                ]
            else:
                self._listener_settings(context, lb, row, params)
            if params.get("DefaultActions") is not None:
                row["DefaultActions"] = checks.check_actions(
                    params["DefaultActions"], row.get("Protocol"), self._tg_checker(context, lb)
                )
            else:
                checks.check_actions(row["DefaultActions"], row.get("Protocol"), lambda arn: None)
            defaults = c.listener_attributes(row.get("Protocol"))
            kept = {k: v for k, v in (row.get("Attributes") or {}).items() if k in defaults}
            row["Attributes"] = {**defaults, **kept}
            self.listeners.put(scope, row["ListenerArn"], row)
            for rule in self.rules_of(scope, row["ListenerArn"]):
                if rule["IsDefault"]:
                    rule["Actions"] = row["DefaultActions"]
                    self.rules.put(scope, rule["RuleArn"], rule)
        self.changed()
        self.watch_forwarded(scope, row["DefaultActions"] + old_actions)
        return {"Listeners": [listener_output(row)]}

    def delete_listener(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_listener(context, params["ListenerArn"])
            actions = [a for r in self.rules_of(scope, row["ListenerArn"]) for a in r["Actions"]]
            self.drop_listener(scope, row)
        self.changed()
        self.watch_forwarded(scope, actions)
        return {}

    # -- listener certificates and attributes ------------------------------------------------

    def describe_listener_certificates(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_listener(context, params["ListenerArn"])
        return self.page("DescribeListenerCertificates", params, list(row.get("Certificates") or []))

    def add_listener_certificates(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_listener(context, params["ListenerArn"])
            if row.get("Protocol") not in SECURE:
                raise c.invalid("Certificates can only be added to HTTPS and TLS listeners")
            certificates = list(row.get("Certificates") or [])
            for certificate in params["Certificates"]:
                arn = certificate.get("CertificateArn") or ""
                self._check_certificate(context, arn)
                if all(x["CertificateArn"] != arn for x in certificates):
                    certificates.append({"CertificateArn": arn, "IsDefault": False})
            if len(certificates) > self.limit("certificates-per-application-load-balancer") + 1:
                raise c.error(
                    "TooManyCertificates", "The quota for the number of certificates has been reached"
                )
            row["Certificates"] = certificates
            self.listeners.put(self.scope_of(context), row["ListenerArn"], row)
        return {"Certificates": [x for x in certificates if not x["IsDefault"]]}

    def remove_listener_certificates(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_listener(context, params["ListenerArn"])
            gone = {x.get("CertificateArn") for x in params["Certificates"]}
            certificates = list(row.get("Certificates") or [])
            if any(x["IsDefault"] and x["CertificateArn"] in gone for x in certificates):
                raise c.error(
                    "OperationNotPermitted", "The default certificate cannot be removed from a listener"
                )
            row["Certificates"] = [x for x in certificates if x["CertificateArn"] not in gone]
            self.listeners.put(self.scope_of(context), row["ListenerArn"], row)
        return {}

    def describe_listener_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_listener(context, params["ListenerArn"])
        return {"Attributes": c.attribute_list(row.get("Attributes") or {})}

    def modify_listener_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_listener(context, params["ListenerArn"])
            allowed = c.listener_attributes(row.get("Protocol"))
            changes = c.check_attributes(params["Attributes"], allowed, "Listener")
            if "tcp.idle_timeout.seconds" in changes:
                value = changes["tcp.idle_timeout.seconds"]
                if not value.isdigit() or not 60 <= int(value) <= 6000:
                    raise c.invalid("'tcp.idle_timeout.seconds' must be between 60 and 6000")
            row["Attributes"] = {**(row.get("Attributes") or allowed), **changes}
            self.listeners.put(self.scope_of(context), row["ListenerArn"], row)
        return {"Attributes": c.attribute_list(row["Attributes"])}

    # -- rules -------------------------------------------------------------------------------

    def find_rule(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.rules.get(self.scope_of(context), arn) if c.resource_of(arn, "listener-rule") else None
        if row is None:
            raise c.rule_not_found()
        return row

    def create_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        priority = params["Priority"]
        if not 1 <= priority <= 50000:
            raise c.invalid("Priority must be between 1 and 50000")
        with self.store.transaction():
            listener = self.find_listener(context, params["ListenerArn"])
            lb = self.find_lb(context, listener["LoadBalancerArn"])
            if lb["Type"] != "application":
                raise c.invalid("Rules can only be created on listeners of application load balancers")
            conditions = checks.check_conditions(params["Conditions"])
            if not conditions:
                raise c.invalid("A rule must have at least one condition")
            actions = checks.check_actions(
                params["Actions"], listener.get("Protocol"), self._tg_checker(context, lb)
            )
            existing = self.rules_of(scope, listener["ListenerArn"])
            if any(r.get("Priority") == priority for r in existing):
                raise c.error("PriorityInUse", "The specified priority is in use.")
            if len(existing) > self.limit("rules-per-application-load-balancer"):
                raise c.error("TooManyRules", "The quota for the number of rules has been reached")
            arn = listener["ListenerArn"].replace(":listener/", ":listener-rule/", 1) + "/" + c.new_id()
            row = {
                "RuleArn": arn,
                "ListenerArn": listener["ListenerArn"],
                "LoadBalancerArn": listener["LoadBalancerArn"],
                "IsDefault": False,
                "Priority": priority,
                "Conditions": conditions,
                "Actions": actions,
                "Tags": self.tags_of(context, params.get("Tags")),
            }
            if params.get("Transforms"):
                row["Transforms"] = params["Transforms"]
            self.rules.put(scope, arn, row)
        self.changed()
        self.watch_forwarded(scope, actions)
        return {"Rules": [rule_output(row)]}

    def describe_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        listener_arn, arns = params.get("ListenerArn"), params.get("RuleArns")
        if bool(listener_arn) == bool(arns):
            raise c.invalid("You must specify either listener ARN or rule ARNs")
        if listener_arn:
            self.find_listener(context, listener_arn)
            rows = self.rules_of(self.scope_of(context), listener_arn)
        else:
            rows = [self.find_rule(context, arn) for arn in dict.fromkeys(arns or [])]
        return self.page("DescribeRules", params, [rule_output(r) for r in rows])

    def modify_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_rule(context, params["RuleArn"])
            old_actions = row["Actions"]
            listener = self.find_listener(context, row["ListenerArn"])
            lb = self.find_lb(context, row["LoadBalancerArn"])
            if params.get("Conditions") is not None:
                if row["IsDefault"]:
                    raise c.error(
                        "OperationNotPermitted", "The conditions of a default rule cannot be modified"
                    )
                row["Conditions"] = checks.check_conditions(params["Conditions"])
                if not row["Conditions"]:
                    raise c.invalid("A rule must have at least one condition")
            if params.get("Actions") is not None:
                row["Actions"] = checks.check_actions(
                    params["Actions"], listener.get("Protocol"), self._tg_checker(context, lb)
                )
            if params.get("ResetTransforms"):
                row.pop("Transforms", None)
            elif params.get("Transforms") is not None:
                row["Transforms"] = params["Transforms"]
            self.rules.put(scope, row["RuleArn"], row)
            if row["IsDefault"]:
                listener["DefaultActions"] = row["Actions"]
                self.listeners.put(scope, listener["ListenerArn"], listener)
        self.changed()
        self.watch_forwarded(scope, row["Actions"] + old_actions)
        return {"Rules": [rule_output(row)]}

    def delete_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_rule(context, params["RuleArn"])
            if row["IsDefault"]:
                raise c.error("OperationNotPermitted", "Default rule cannot be deleted")
            self.rules.delete(scope, row["RuleArn"])
        self.changed()
        self.watch_forwarded(scope, row["Actions"])
        return {}

    def set_rule_priorities(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            wanted = {}
            for entry in params["RulePriorities"]:
                priority = entry.get("Priority")
                if priority is None or not 1 <= priority <= 50000:
                    raise c.invalid("Priority must be between 1 and 50000")
                wanted[entry.get("RuleArn") or ""] = priority
            if len(set(wanted.values())) != len(wanted):
                raise c.error("PriorityInUse", "Priorities must be unique")
            rows = [self.find_rule(context, arn) for arn in wanted]
            for row in rows:
                if row["IsDefault"]:
                    raise c.error("OperationNotPermitted", "The priority of a default rule cannot be changed")
            for listener_arn in {r["ListenerArn"] for r in rows}:
                for other in self.rules_of(scope, listener_arn):
                    if other["RuleArn"] in wanted or other["IsDefault"]:
                        continue
                    if other["Priority"] in wanted.values():
                        raise c.error("PriorityInUse", "The specified priority is in use.")
            for row in rows:
                row["Priority"] = wanted[row["RuleArn"]]
                self.rules.put(scope, row["RuleArn"], row)
        self.changed()
        return {"Rules": [rule_output(r) for r in rows]}
