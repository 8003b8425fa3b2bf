"""Target groups (instance, ip, lambda, alb), their health-check settings and attributes, the
targets registered in them, and DescribeTargetHealth from the health checker's probes."""

from __future__ import annotations

import ipaddress
import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.services.elbv2 import common as c

if TYPE_CHECKING:
    from overcast.services.elbv2.provider import Provider

TARGET_TYPES = ("instance", "ip", "lambda", "alb")
ALB_PROTOCOLS = ("HTTP", "HTTPS")
NLB_PROTOCOLS = ("TCP", "TLS", "UDP", "TCP_UDP")


def health_defaults(target_type: str, protocol: str | None, version: str | None) -> dict[str, Any]:
    """The health-check settings AWS gives a target group that names none."""
    if target_type == "lambda":
        return {
            "HealthCheckEnabled": False,
            "HealthCheckIntervalSeconds": 35,
            "HealthCheckTimeoutSeconds": 30,
            "HealthyThresholdCount": 5,
            "UnhealthyThresholdCount": 2,
            "HealthCheckPath": "/",
            "Matcher": {"HttpCode": "200"},
        }
    if protocol == "GENEVE":
        return {
            "HealthCheckEnabled": True,
            "HealthCheckProtocol": "TCP",
            "HealthCheckPort": "80",
            "HealthCheckIntervalSeconds": 10,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 5,
            "UnhealthyThresholdCount": 2,
        }
    if protocol in NLB_PROTOCOLS:
        return {
            "HealthCheckEnabled": True,
            "HealthCheckProtocol": "TCP",
            "HealthCheckPort": "traffic-port",
            "HealthCheckIntervalSeconds": 30,
            "HealthCheckTimeoutSeconds": 10,
            "HealthyThresholdCount": 5,
            "UnhealthyThresholdCount": 2,
        }
    return {
        "HealthCheckEnabled": True,
        "HealthCheckProtocol": protocol or "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 5,
        "UnhealthyThresholdCount": 2,
        "HealthCheckPath": "/AWS.ALB/healthcheck" if version == "GRPC" else "/",
        "Matcher": {"GrpcCode": "12"} if version == "GRPC" else {"HttpCode": "200"},
    }


HEALTH_KEYS = (
    "HealthCheckProtocol",
    "HealthCheckPort",
    "HealthCheckEnabled",
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
    "HealthCheckPath",
    "Matcher",
)


def check_health_settings(row: dict[str, Any]) -> None:
    interval, timeout = row.get("HealthCheckIntervalSeconds"), row.get("HealthCheckTimeoutSeconds")
    if interval is not None and not 5 <= interval <= 300:
        raise c.invalid("Health check interval must be between 5 and 300 seconds")
    if timeout is not None and not 2 <= timeout <= 120:
        raise c.invalid("Health check timeout must be between 2 and 120 seconds")
    if interval is not None and timeout is not None and row["TargetType"] != "lambda":
        http = row.get("Protocol") in ALB_PROTOCOLS
        if timeout > interval or (http and timeout == interval):
            relation = "smaller than" if http else "smaller than or equal to"
            raise c.invalid(f"Health check timeout '{timeout}' must be {relation} the interval '{interval}'")
    for key in ("HealthyThresholdCount", "UnhealthyThresholdCount"):
        if row.get(key) is not None and not 2 <= row[key] <= 10:
            raise c.invalid(f"{key} must be between 2 and 10")
    port = row.get("HealthCheckPort")
    if port not in (None, "traffic-port") and not (str(port).isdigit() and 1 <= int(port) <= 65535):
        raise c.invalid(f"Health check port '{port}' must be 'traffic-port' or a port between 1 and 65535")
    path = row.get("HealthCheckPath")
    if path is not None and not str(path).startswith("/"):
        raise c.invalid("Health check path must begin with a '/' character")
    protocol = row.get("HealthCheckProtocol")
    if protocol is not None and protocol not in ("HTTP", "HTTPS", "TCP"):
        raise c.invalid(f"Health check protocol '{protocol}' is not supported")
    if protocol == "TCP" and row.get("Protocol") in ALB_PROTOCOLS:
        raise c.invalid(
            "Health check protocol 'TCP' is not supported for target groups with protocol HTTP or HTTPS"
        )
    code = (row.get("Matcher") or {}).get("HttpCode")
    if code is not None and not matcher_codes(str(code)):
        raise c.invalid(f"Health check matcher HTTP code '{code}' is not valid")


def matcher_codes(text: str) -> set[int]:
    """The status codes a matcher ("200", "200,202", "200-299") accepts (empty when malformed)."""
    codes: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            return set()
        first, last = int(low), int(high or low)
        if not 200 <= first <= last <= 599:
            return set()
        codes.update(range(first, last + 1))
    return codes


def tg_output(row: dict[str, Any], lb_arns: list[str]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("Attributes", "Tags", "Targets", "Draining", "Created")}
    out["LoadBalancerArns"] = lb_arns
    return out


def target_key(target: dict[str, Any]) -> str:
    return f"{target['Id']}:{target.get('Port') or ''}"


class TargetGroupMixin:
    def find_tg(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.tgs.get(self.scope_of(context), arn) if c.resource_of(arn, "targetgroup") else None
        if row is None:
            raise c.tg_not_found()
        return row

    def all_tgs(self: Provider, context: RequestContext) -> list[dict[str, Any]]:  # type: ignore[misc]
        return [row for _, row in self.tgs.scan(self.scope_of(context))]

    def tg_load_balancers(self: Provider, scope: str, tg_arn: str) -> list[str]:  # type: ignore[misc]
        """The load balancers whose listeners or rules forward to a target group."""
        found: dict[str, None] = {}
        for _, listener in self.listeners.scan(scope):
            if tg_arn in _forwarded(listener["DefaultActions"]):
                found[listener["LoadBalancerArn"]] = None
        for _, rule in self.rules.scan(scope):
            if tg_arn in _forwarded(rule["Actions"]):
                found[rule["LoadBalancerArn"]] = None
        return list(found)

    def create_target_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        if len(name) > 32:
            raise c.invalid(f"Target group name '{name}' cannot be longer than '32' characters")
        if not re.match(r"^[A-Za-z0-9-]+$", name):
            raise c.invalid(
                f"Target group name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"
            )
        if not re.match(r"(?!.*--)(?!^-)(?!.*-$)^[A-Za-z0-9-]+$", name):
            raise c.invalid(
                f"1 validation error detected: Value '{name}' at 'targetGroup.targetGroupArn.targetGroupName' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "(?!.*--)(?!^-)(?!.*-$)^[A-Za-z0-9-]+$"
            )
        target_type = params.get("TargetType") or "instance"
        protocol, port, vpc_id = params.get("Protocol"), params.get("Port"), params.get("VpcId")
        if target_type == "lambda":
            for key, value in (("Protocol", protocol), ("Port", port), ("VPC ID", vpc_id)):
                if value is not None:
                    raise c.invalid(f"{key} cannot be specified for target groups with target type 'lambda'")
            if params.get("HealthCheckProtocol") or params.get("HealthCheckPort"):
                raise c.invalid(
                    "Health check protocol and port cannot be specified for target groups with target type 'lambda'"
                )
        else:
            if protocol is None:
                raise c.invalid("A protocol must be specified")
            if port is None and protocol != "GENEVE":
                raise c.invalid("A port must be specified")
            if vpc_id is None:
                raise c.invalid("A VPC ID must be specified")
            if self.runtime.provider("ec2").find_vpc(context.account, context.region, vpc_id) is None:
                raise c.invalid(f"The VPC ID '{vpc_id}' is not found")
            if port is not None and not 1 <= port <= 65535:
                raise c.invalid("Port must be between 1 and 65535")
            if protocol == "GENEVE" and port not in (None, 6081):
                raise c.invalid("Port must be 6081 for target groups with protocol GENEVE")
            if target_type == "alb" and protocol != "TCP":
                raise c.invalid("Target groups with target type 'alb' must use protocol TCP")
        version = params.get("ProtocolVersion")
        if version is not None:
            if protocol not in ALB_PROTOCOLS:
                raise c.invalid(
                    "A protocol version can only be specified for target groups with protocol HTTP or HTTPS"
                )
            if version not in ("HTTP1", "HTTP2", "GRPC"):
                raise c.invalid(f"Protocol version '{version}' is not supported")
        elif protocol in ALB_PROTOCOLS:
            version = "HTTP1"
        row: dict[str, Any] = {
            "TargetGroupName": name,
            "TargetType": target_type,
            **health_defaults(target_type, protocol, version),
        }
        for key in ("Protocol", "Port", "VpcId"):
            if params.get(key) is not None:
                row[key] = params[key]
        if version is not None:
            row["ProtocolVersion"] = version
        for key in HEALTH_KEYS:
            if params.get(key) is not None:
                row[key] = params[key]
        if (
            "HealthCheckPath" in params
            and "HealthCheckProtocol" not in params
            and row.get("HealthCheckProtocol") == "TCP"
        ):
            row["HealthCheckProtocol"] = "HTTP"
        if row.get("HealthCheckProtocol") == "TCP":
            if params.get("HealthCheckPath") or params.get("Matcher"):
                raise c.invalid("Health check path and matcher cannot be specified for TCP health checks")
        if target_type != "lambda":
            row["IpAddressType"] = params.get("IpAddressType") or "ipv4"
        check_health_settings(row)
        tags = self.tags_of(context, params.get("Tags"))
        scope = self.scope_of(context)
        with self.store.transaction():
            for existing in self.all_tgs(context):
                if existing["TargetGroupName"] != name:
                    continue
                settings = {k: v for k, v in row.items()}
                kept = {k: existing.get(k) for k in settings}
                if kept != settings:
                    raise c.error(
                        "DuplicateTargetGroupName",
                        "A target group with the same name exists, but with different settings",
                    )
                return {
                    "TargetGroups": [
                        tg_output(existing, self.tg_load_balancers(scope, existing["TargetGroupArn"]))
                    ]
                }
            if len(self.all_tgs(context)) >= self.limit("target-groups"):
                raise c.error(
                    "TooManyTargetGroups", "The quota for the number of target groups has been reached"
                )
            arn = c.arn(context.region, context.account, f"targetgroup/{name}/{c.new_id()}")
            row = {"TargetGroupArn": arn, **row}
            row["Attributes"] = c.target_group_attributes(target_type, protocol)
            row["Tags"] = tags
            row["Targets"] = {}
            row["Created"] = time.time()
            self.tgs.put(scope, arn, row)
        return {"TargetGroups": [tg_output(row, [])]}

    def describe_target_groups(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arns, names, lb_arn = (
            params.get("TargetGroupArns"),
            params.get("Names"),
            params.get("LoadBalancerArn"),
        )
        if sum(1 for x in (arns, names, lb_arn) if x) > 1:
            raise c.invalid(
                "Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time"
            )
        scope = self.scope_of(context)
        rows = sorted(self.all_tgs(context), key=lambda r: r["Created"])
        if arns:
            by_arn = {r["TargetGroupArn"]: r for r in rows}
            if any(a not in by_arn for a in arns):
                raise c.tg_not_found()
            rows = [by_arn[a] for a in dict.fromkeys(arns)]
        elif names:
            by_name = {r["TargetGroupName"]: r for r in rows}
            if any(n not in by_name for n in names):
                raise c.tg_not_found()
            rows = [by_name[n] for n in dict.fromkeys(names)]
        elif lb_arn:
            self.find_lb(context, lb_arn)
            rows = [r for r in rows if lb_arn in self.tg_load_balancers(scope, r["TargetGroupArn"])]
        out = [tg_output(r, self.tg_load_balancers(scope, r["TargetGroupArn"])) for r in rows]
        return self.page("DescribeTargetGroups", params, out)

    def modify_target_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_tg(context, params["TargetGroupArn"])
            if row["TargetType"] == "lambda" and (
                params.get("HealthCheckProtocol") or params.get("HealthCheckPort")
            ):
                raise c.invalid(
                    "Health check protocol and port cannot be specified for target groups with target type 'lambda'"
                )
            for key in HEALTH_KEYS:
                if params.get(key) is not None:
                    row[key] = params[key]
            check_health_settings(row)
            self.tgs.put(scope, row["TargetGroupArn"], row)
        self.changed()
        self.watch_health(scope, row["TargetGroupArn"])
        return {"TargetGroups": [tg_output(row, self.tg_load_balancers(scope, row["TargetGroupArn"]))]}

    def delete_target_group(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["TargetGroupArn"]
        scope = self.scope_of(context)
        with self.store.transaction():
            if not c.resource_of(arn, "targetgroup") or self.tgs.get(scope, arn) is None:
                return {}
            if self.tg_load_balancers(scope, arn):
                raise c.error(
                    "ResourceInUse", f"Target group '{arn}' is currently in use by a listener or a rule"
                )
            self.tgs.delete(scope, arn)
        self.forget_health(arn)
        self.changed()
        return {}

    def describe_target_group_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"Attributes": c.attribute_list(self.find_tg(context, params["TargetGroupArn"])["Attributes"])}

    def modify_target_group_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_tg(context, params["TargetGroupArn"])
            changes = c.check_attributes(params["Attributes"], row["Attributes"], "Target group")
            merged = {**row["Attributes"], **changes}
            if merged.get("stickiness.type") == "app_cookie" and merged.get("stickiness.enabled") == "true":
                if not merged.get("stickiness.app_cookie.cookie_name"):
                    raise c.invalid(
                        "The app cookie name must be specified when the stickiness type is 'app_cookie'"
                    )
            if "stickiness.type" in changes and row.get("Protocol") in ALB_PROTOCOLS:
                if changes["stickiness.type"] not in ("lb_cookie", "app_cookie"):
                    raise c.invalid(
                        f"Stickiness type '{changes['stickiness.type']}' is not supported for HTTP target groups"
                    )
            row["Attributes"] = merged
            self.tgs.put(self.scope_of(context), row["TargetGroupArn"], row)
        self.changed()
        return {"Attributes": c.attribute_list(row["Attributes"])}

    # -- targets -------------------------------------------------------------------------------

    def _check_target(self: Provider, context: RequestContext, row: dict[str, Any], target: dict) -> dict:  # type: ignore[misc]
        kind, target_id = row["TargetType"], target["Id"]
        out: dict[str, Any] = {"Id": target_id}
        port = target.get("Port")
        if kind == "lambda":
            if port is not None:
                raise c.invalid(
                    "A port cannot be specified for targets of target groups with target type 'lambda'"
                )
            parsed = parse_arn(target_id)
            if parsed is None or parsed.service != "lambda":
                raise c.error("InvalidTarget", f"The target '{target_id}' is not a Lambda function ARN")
            if not self.runtime.provider("lambda").function_exists(target_id):
                raise c.error("InvalidTarget", f"Lambda function '{target_id}' not found")
            return out
        out["Port"] = port if port is not None else row.get("Port")
        if out["Port"] is None or not 1 <= out["Port"] <= 65535:
            raise c.invalid("Port must be between 1 and 65535")
        if kind == "instance":
            instance = self.runtime.provider("ec2").find_instance(context.account, context.region, target_id)
            if instance is None:
                raise c.error(
                    "InvalidTarget", f"The following targets are not valid instances: '{target_id}'"
                )
            if instance["State"]["Name"] != "running":
                raise c.error(
                    "InvalidTarget",
                    f"The following targets are not in a running state and cannot be registered: '{target_id}'",
                )
            if instance.get("VpcId") != row.get("VpcId"):
                raise c.error(
                    "InvalidTarget",
                    f"The following targets are not in the target group VPC '{row.get('VpcId')}': '{target_id}'",
                )
        elif kind == "ip":
            try:
                address = ipaddress.ip_address(target_id)
            except ValueError:
                raise c.error(
                    "InvalidTarget", f"The IP address '{target_id}' is not a valid IPv4 address"
                ) from None
            zone = target.get("AvailabilityZone")
            if not self._in_vpc(context, row.get("VpcId") or "", address) and zone != "all":
                raise c.invalid(
                    f"The IP address '{target_id}' is not within the VPC's CIDR blocks: "
                    "its Availability Zone must be 'all'"
                )
            if zone:
                out["AvailabilityZone"] = zone
        elif kind == "alb":
            lb = (
                self.lbs.get(self.scope_of(context), target_id)
                if c.resource_of(target_id, "loadbalancer")
                else None
            )
            if lb is None or lb["Type"] != "application":
                raise c.error(
                    "InvalidTarget", f"The target '{target_id}' is not an application load balancer"
                )
        return out

    def _in_vpc(self: Provider, context: RequestContext, vpc_id: str, address: Any) -> bool:  # type: ignore[misc]
        vpc = self.runtime.provider("ec2").find_vpc(context.account, context.region, vpc_id) or {}
        blocks = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet") or []] or [
            vpc.get("CidrBlock") or ""
        ]
        for block in blocks:
            try:
                if address in ipaddress.ip_network(block, strict=False):
                    return True
            except ValueError:
                continue
        return False

    def register_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_tg(context, params["TargetGroupArn"])
            checked = [self._check_target(context, row, t) for t in params["Targets"]]
            targets = dict(row["Targets"])
            for target in checked:
                targets[target_key(target)] = target
                row.get("Draining", {}).pop(target_key(target), None)
            if row["TargetType"] == "lambda" and len(targets) > 1:
                raise c.error(
                    "TooManyTargets", "A target group with target type 'lambda' can have only one target"
                )
            if len(targets) > self.limit("targets-per-application-load-balancer"):
                raise c.error("TooManyTargets", "The quota for the number of targets has been reached")
            row["Targets"] = targets
            self.tgs.put(scope, row["TargetGroupArn"], row)
        self.changed()
        self.watch_health(scope, row["TargetGroupArn"], fresh=[target_key(t) for t in checked])
        return {}

    def deregister_targets(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_tg(context, params["TargetGroupArn"])
            targets = dict(row["Targets"])
            draining = dict(row.get("Draining") or {})
            delay = int(row["Attributes"].get("deregistration_delay.timeout_seconds", "0"))
            in_use = bool(self.tg_load_balancers(scope, row["TargetGroupArn"]))
            for target in params["Targets"]:
                key = target_key({"Id": target["Id"], "Port": target.get("Port") or row.get("Port")})
                if key not in targets:
                    raise c.error(
                        "InvalidTarget",
                        f"The following targets are not registered in target group: '{target['Id']}'",
                    )
                gone = targets.pop(key)
                if in_use and delay:
                    draining[key] = {"Target": gone, "Until": time.time() + delay}
            row["Targets"], row["Draining"] = targets, draining
            self.tgs.put(scope, row["TargetGroupArn"], row)
        self.changed()
        self.watch_health(scope, row["TargetGroupArn"])
        return {}

    def describe_target_health(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_tg(context, params["TargetGroupArn"])
        scope = self.scope_of(context)
        in_use = bool(self.tg_load_balancers(scope, row["TargetGroupArn"]))
        now = time.time()
        draining = {k: v for k, v in (row.get("Draining") or {}).items() if v["Until"] > now}
        wanted = params.get("Targets")
        if wanted:
            keys = [
                target_key(
                    {
                        "Id": t["Id"],
                        "Port": t.get("Port") or (None if row["TargetType"] == "lambda" else row.get("Port")),
                    }
                )
                for t in wanted
            ]
            shown = [
                (k, (row["Targets"].get(k) or (draining.get(k) or {}).get("Target")), t)
                for k, t in zip(keys, wanted, strict=False)
            ]
        else:
            shown = [(k, t, t) for k, t in row["Targets"].items()] + [
                (k, d["Target"], d["Target"]) for k, d in draining.items()
            ]
        out = []
        for key, target, asked in shown:
            shown_target = dict(target or asked)
            if row["TargetType"] != "lambda" and shown_target.get("Port") is None:
                shown_target["Port"] = row.get("Port")
            entry: dict[str, Any] = {"Target": shown_target}
            if row["TargetType"] != "lambda":
                port = row.get("HealthCheckPort") or "traffic-port"
                entry["HealthCheckPort"] = str(shown_target.get("Port")) if port == "traffic-port" else port
            if target is None:
                entry["TargetHealth"] = {
                    "State": "unused",
                    "Reason": "Target.NotRegistered",
                    "Description": "Target is not registered to the target group",
                }
            elif key in draining:
                entry["TargetHealth"] = {
                    "State": "draining",
                    "Reason": "Target.DeregistrationInProgress",
                    "Description": "Target deregistration is in progress",
                }
            else:
                entry["TargetHealth"] = self.health_of(context, row, key, target, in_use)
            out.append(entry)
        return {"TargetHealthDescriptions": out}


def _forwarded(actions: list[dict[str, Any]]) -> list[str]:
    """The target groups a list of actions forwards to."""
    found: list[str] = []
    for action in actions:
        if action["Type"] != "forward":
            continue
        if action.get("TargetGroupArn"):
            found.append(action["TargetGroupArn"])
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            found.append(group["TargetGroupArn"])
    return found


forwarded = _forwarded
