"""What the parts of Elastic Load Balancing v2 share: its errors, ARNs and names, the hosted
zones of its DNS names, and the defaults AWS gives load balancers and target groups."""

from __future__ import annotations

import re
import secrets
from typing import Any

from overcast.common.arns import build_arn, parse_arn
from overcast.errors import ServiceError

#: The host names the data plane answers on: `<name>-<id>.<region>.elb.<suffix>`.
DNS_SUFFIX = "elb.localhost.localstack.cloud"
NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")


def error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def lb_not_found() -> ServiceError:
    return error("LoadBalancerNotFound", "One or more load balancers not found")


def tg_not_found() -> ServiceError:
    return error("TargetGroupNotFound", "One or more target groups not found")


def listener_not_found() -> ServiceError:
    return error("ListenerNotFound", "One or more listeners not found")


def rule_not_found() -> ServiceError:
    return error("RuleNotFound", "One or more rules not found")


def new_id() -> str:
    return secrets.token_hex(8)


def arn(region: str, account: str, resource: str) -> str:
    return build_arn("elasticloadbalancing", region, account, resource)


def resource_of(text: str, kind: str) -> list[str] | None:
    """The parts after `kind/` of an ELB ARN of that kind (None when it is not one)."""
    parsed = parse_arn(text)
    if parsed is None or parsed.service != "elasticloadbalancing":
        return None
    head, _, rest = parsed.resource.partition("/")
    return rest.split("/") if head == kind and rest else None


#: The short type in ARNs and DNS names of each load balancer type.
TYPE_SHORT = {"application": "app", "network": "net", "gateway": "gwy"}

#: Route 53 hosted zones of ELB DNS names, by region: (application/classic, network).
HOSTED_ZONES = {
    "us-east-1": ("Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"),
    "us-east-2": ("Z3AADJGX6KTTL2", "ZLMOA37VPKANP"),
    "us-west-1": ("Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"),
    "us-west-2": ("Z1H1FL5HABSF5", "Z18D5FSROUN65G"),
    "ca-central-1": ("ZQSVJUPU6J1EY", "Z2EPGBW3API2WT"),
    "eu-west-1": ("Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"),
    "eu-west-2": ("ZHURV8PSTC4K8", "ZD4D7Y8KGAS4G"),
    "eu-west-3": ("Z3Q77PNBQS71R4", "Z1CMS0P5QUZ6D5"),
    "eu-central-1": ("Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"),
    "eu-north-1": ("Z23TAZR8W7Z8U9", "Z1UDT6IFJ4EJM"),
    "ap-south-1": ("ZP97RAFLXTNZK", "ZVDDRBQ08TROA"),
    "ap-northeast-1": ("Z14GRHDCWA56QT", "Z31USIVHYNEOWT"),
    "ap-northeast-2": ("ZWKZPGTI48KDX", "ZIBE1TIR4HY56"),
    "ap-southeast-1": ("Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"),
    "ap-southeast-2": ("Z1GM3OXH4ZPM65", "ZCT6FZBF4S0RQ"),
    "sa-east-1": ("Z2P70J7HTTTPLU", "ZTK26PT1VY4CU"),
}


def hosted_zone(region: str, lb_type: str) -> str:
    zones = HOSTED_ZONES.get(region, HOSTED_ZONES["us-east-1"])
    return zones[1] if lb_type in ("network", "gateway") else zones[0]


def bool_text(value: str) -> bool:
    return value.lower() == "true"


# -- attributes --------------------------------------------------------------------------------

_ACCESS_LOGS = {"access_logs.s3.enabled": "false", "access_logs.s3.bucket": "", "access_logs.s3.prefix": ""}

LB_ATTRIBUTES: dict[str, dict[str, str]] = {
    "application": {
        **_ACCESS_LOGS,
        "connection_logs.s3.enabled": "false",
        "connection_logs.s3.bucket": "",
        "connection_logs.s3.prefix": "",
        "health_check_logs.s3.enabled": "false",
        "health_check_logs.s3.bucket": "",
        "health_check_logs.s3.prefix": "",
        "client_keep_alive.seconds": "3600",
        "deletion_protection.enabled": "false",
        "idle_timeout.timeout_seconds": "60",
        "load_balancing.cross_zone.enabled": "true",
        "routing.http.desync_mitigation_mode": "defensive",
        "routing.http.drop_invalid_header_fields.enabled": "false",
        "routing.http.preserve_host_header.enabled": "false",
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
        "routing.http.xff_client_port.enabled": "false",
        "routing.http.xff_header_processing.mode": "append",
        "routing.http2.enabled": "true",
        "waf.fail_open.enabled": "false",
        "zonal_shift.config.enabled": "false",
    },
    "network": {
        **_ACCESS_LOGS,
        "deletion_protection.enabled": "false",
        "dns_record.client_routing_policy": "any_availability_zone",
        "load_balancing.cross_zone.enabled": "false",
        "zonal_shift.config.enabled": "false",
    },
    "gateway": {
        "deletion_protection.enabled": "false",
        "load_balancing.cross_zone.enabled": "false",
    },
}

_BOOL = ("true", "false")


def _int_range(low: int, high: int):
    def check(value: str) -> bool:
        return value.isdigit() and low <= int(value) <= high

    return check


#: How an attribute's value is checked (an attribute not listed takes any string).
ATTRIBUTE_CHECKS: dict[str, Any] = {
    "idle_timeout.timeout_seconds": _int_range(1, 4000),
    "client_keep_alive.seconds": _int_range(60, 604800),
    "deregistration_delay.timeout_seconds": _int_range(0, 3600),
    "slow_start.duration_seconds": lambda v: v.isdigit() and (int(v) == 0 or 30 <= int(v) <= 900),
    "stickiness.lb_cookie.duration_seconds": _int_range(1, 604800),
    "stickiness.app_cookie.duration_seconds": _int_range(1, 604800),
    "routing.http.desync_mitigation_mode": ("monitor", "defensive", "strictest"),
    "routing.http.xff_header_processing.mode": ("append", "preserve", "remove"),
    "load_balancing.algorithm.type": ("round_robin", "least_outstanding_requests", "weighted_random"),
    "load_balancing.algorithm.anomaly_mitigation": ("on", "off"),
    "dns_record.client_routing_policy": (
        "availability_zone_affinity",
        "partial_availability_zone_affinity",
        "any_availability_zone",
    ),
}


def check_attributes(given: list[dict[str, Any]], allowed: dict[str, str], kind: str) -> dict[str, str]:
    """The attributes of a Modify*Attributes request as a map, each known and valid."""
    out: dict[str, str] = {}
    for attribute in given:
        key, value = attribute.get("Key") or "", str(attribute.get("Value") or "")
        if key not in allowed:
            raise invalid(f"{kind} attribute key '{key}' is not recognized")
        check = ATTRIBUTE_CHECKS.get(key)
        if check is None and (key.endswith(".enabled") and key != "load_balancing.cross_zone.enabled"):
            check = _BOOL
        if key == "load_balancing.cross_zone.enabled":
            check = _BOOL + (("use_load_balancer_configuration",) if kind == "Target group" else ())
        ok = check is None or (value in check if isinstance(check, tuple) else check(value))
        if not ok:
            raise invalid(f"'{value}' is not a valid value for {kind.lower()} attribute '{key}'")
        out[key] = value
    return out


def attribute_list(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(values.items())]


def target_group_attributes(target_type: str, protocol: str | None) -> dict[str, str]:
    """The attributes a new target group has, by what it targets and speaks."""
    if target_type == "lambda":
        return {"lambda.multi_value_headers.enabled": "false"}
    if protocol == "GENEVE":
        return {
            "deregistration_delay.timeout_seconds": "300",
            "stickiness.enabled": "false",
            "stickiness.type": "source_ip_dest_ip_proto",
            "target_failover.on_deregistration": "no_rebalance",
            "target_failover.on_unhealthy": "no_rebalance",
        }
    if protocol in ("TCP", "TLS", "UDP", "TCP_UDP"):
        return {
            "deregistration_delay.timeout_seconds": "300",
            "deregistration_delay.connection_termination.enabled": "false",
            "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
            "preserve_client_ip.enabled": "false" if target_type == "ip" and protocol == "TLS" else "true",
            "proxy_protocol_v2.enabled": "false",
            "stickiness.enabled": "false",
            "stickiness.type": "source_ip",
            "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
            "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
            "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
            "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
            "target_health_state.unhealthy.connection_termination.enabled": "true",
            "target_health_state.unhealthy.draining_interval_seconds": "0",
        }
    return {
        "deregistration_delay.timeout_seconds": "300",
        "load_balancing.algorithm.type": "round_robin",
        "load_balancing.algorithm.anomaly_mitigation": "off",
        "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
        "slow_start.duration_seconds": "0",
        "stickiness.enabled": "false",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": "86400",
        "stickiness.app_cookie.cookie_name": "",
        "stickiness.app_cookie.duration_seconds": "86400",
        "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
        "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
    }


def listener_attributes(protocol: str | None) -> dict[str, str]:
    """The attributes a new listener has, by its protocol."""
    if protocol in ("HTTP", "HTTPS"):
        return {"routing.http.response.server.enabled": "true"}
    if protocol == "TCP":
        return {"tcp.idle_timeout.seconds": "350"}
    return {}
