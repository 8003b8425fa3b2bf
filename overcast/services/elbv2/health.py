"""Health checks, really performed: while a target group that a load balancer uses has
targets (and health checks enabled), each target is probed every HealthCheckIntervalSeconds
on the one scheduler; nothing runs for idle target groups. A target's state moves as ELB's
does: `initial` until its first probe decides (healthy at once on success, unhealthy after
UnhealthyThresholdCount failures), then healthy ↔ unhealthy after the thresholds in a row.

Probe results live in memory: after a restart targets start over at `initial`, as targets
of a newly provisioned load balancer do."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.elbv2.targets import matcher_codes

if TYPE_CHECKING:
    from overcast.services.elbv2.provider import Provider

log = logging.getLogger(__name__)
TIMER = "elbv2/health/"


@dataclass
class Health:
    state: str = "initial"
    passes: int = 0
    failures: int = 0
    reason: str = "Elb.RegistrationInProgress"
    description: str = "Target registration is in progress"


class Probe(Exception):
    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


def _scope_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return f"{parts[4]}/{parts[3]}"


class HealthMixin:
    health: dict[str, dict[str, Health]]

    def health_of(  # type: ignore[misc]
        self: Provider, context: RequestContext, row: dict[str, Any], key: str, target: dict, in_use: bool
    ) -> dict[str, str]:
        if not in_use:
            return {
                "State": "unused",
                "Reason": "Target.NotInUse",
                "Description": "Target group is not configured to receive traffic from the load balancer",
            }
        if not row.get("HealthCheckEnabled", True):
            return {
                "State": "unavailable",
                "Reason": "Target.HealthCheckDisabled",
                "Description": "Health checks are disabled",
            }
        if row["TargetType"] == "instance":
            instance = self.runtime.provider("ec2").find_instance(
                context.account, context.region, target["Id"]
            )
            state = instance["State"]["Name"] if instance else "terminated"
            if state != "running":
                return {
                    "State": "unused",
                    "Reason": "Target.InvalidState",
                    "Description": f"Target is in the {state} state",
                }
        health = self.health.get(row["TargetGroupArn"], {}).get(key) or Health()
        out = {"State": health.state}
        if health.state != "healthy":
            out["Reason"], out["Description"] = health.reason, health.description
        return out

    def target_is_healthy(self: Provider, tg_arn: str, key: str) -> bool | None:  # type: ignore[misc]
        """True/False from the probes; None while undecided or unchecked."""
        health = self.health.get(tg_arn, {}).get(key)
        if health is None or health.state == "initial":
            return None
        return health.state == "healthy"

    def forget_health(self: Provider, tg_arn: str) -> None:  # type: ignore[misc]
        self.health.pop(tg_arn, None)
        self.runtime.scheduler.cancel(TIMER + tg_arn)

    def watch_health(self: Provider, scope: str, tg_arn: str, fresh: list[str] | None = None) -> None:  # type: ignore[misc]
        """Start (or stop) probing a target group as its targets and use say."""
        row = self.tgs.get(scope, tg_arn)
        known = self.health.setdefault(tg_arn, {})
        for key in fresh or ():
            known[key] = Health()
        if row is None:
            self.forget_health(tg_arn)
            return
        for key in [k for k in known if k not in row["Targets"]]:
            del known[key]
        active = (
            bool(row["Targets"])
            and row.get("HealthCheckEnabled", True)
            and bool(self.tg_load_balancers(scope, tg_arn))
        )
        timer = TIMER + tg_arn
        if not active:
            self.runtime.scheduler.cancel(timer)
            return
        if fresh or self.runtime.scheduler.pending(timer) is None:
            self.runtime.scheduler.at(timer, self.runtime.scheduler.now(), self._probe_round)

    async def _probe_round(self: Provider, key: str, due: float) -> None:  # type: ignore[misc]
        tg_arn = key[len(TIMER) :]
        scope = _scope_of_arn(tg_arn)
        row = self.tgs.get(scope, tg_arn)
        if row is None or not row["Targets"] or not row.get("HealthCheckEnabled", True):
            self.health.pop(tg_arn, None)
            return
        if not self.tg_load_balancers(scope, tg_arn):
            return
        known = self.health.setdefault(tg_arn, {})
        targets = list(row["Targets"].items())
        results = await asyncio.gather(
            *(self._probe(scope, row, t) for _, t in targets), return_exceptions=True
        )
        for (target_key, _), result in zip(targets, results, strict=False):
            health = known.setdefault(target_key, Health())
            if isinstance(result, Probe):
                self._failed(row, health, result)
            elif isinstance(result, BaseException):
                self._failed(row, health, Probe("Target.FailedHealthChecks", "Health checks failed"))
            else:
                self._passed(row, health)
        interval = row.get("HealthCheckIntervalSeconds") or 30
        pending = self.runtime.scheduler.pending(key)
        if pending is None or pending <= due:
            self.runtime.scheduler.at(key, self.runtime.scheduler.now() + interval, self._probe_round)

    @staticmethod
    def _passed(row: dict[str, Any], health: Health) -> None:
        health.failures = 0
        health.passes += 1
        if health.state == "initial" or health.passes >= row.get("HealthyThresholdCount", 5):
            health.state = "healthy"
            health.reason = health.description = ""

    @staticmethod
    def _failed(row: dict[str, Any], health: Health, probe: Probe) -> None:
        health.passes = 0
        health.failures += 1
        if health.state == "unhealthy" or health.failures >= row.get("UnhealthyThresholdCount", 2):
            health.state = "unhealthy"
            health.reason, health.description = probe.reason, probe.description

    async def _probe(self: Provider, scope: str, row: dict[str, Any], target: dict[str, Any]) -> None:  # type: ignore[misc]
        """One health check of one target: returns when it passes, raises Probe when not."""
        timeout = float(row.get("HealthCheckTimeoutSeconds") or 5)
        codes = matcher_codes(str((row.get("Matcher") or {}).get("HttpCode") or "200"))
        path = row.get("HealthCheckPath") or "/"
        if row["TargetType"] == "lambda":
            return await self._probe_lambda(row, target, path, codes, timeout)
        account, region = scope.split("/")
        if row["TargetType"] == "instance":
            instance = self.runtime.provider("ec2").find_instance(account, region, target["Id"])
            host = (instance or {}).get("PrivateIpAddress")
            if not host:
                raise Probe("Target.InvalidState", "Target is not running")
        elif row["TargetType"] == "alb":
            lb = self.lbs.get(scope, target["Id"])
            if lb is None:
                raise Probe("Target.FailedHealthChecks", "Health checks failed")
            has_listener = any(
                listener["Port"] == target["Port"]
                for listener in self.listeners_of_scope(scope, target["Id"])
            )
            if not has_listener:
                raise Probe("Target.FailedHealthChecks", "Health checks failed")
            return None
        else:
            host = target["Id"]
        port_text = row.get("HealthCheckPort") or "traffic-port"
        port = int(target["Port"]) if port_text == "traffic-port" else int(port_text)
        protocol = row.get("HealthCheckProtocol") or "HTTP"
        tls = ssl._create_unverified_context() if protocol == "HTTPS" else None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=tls), timeout)
        except TimeoutError:
            raise Probe("Target.Timeout", "Request timed out") from None
        except OSError:
            raise Probe("Target.FailedHealthChecks", "Health checks failed") from None
        try:
            if protocol == "TCP":
                return None
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n"
            writer.write(request.encode())
            try:
                line = await asyncio.wait_for(reader.readline(), timeout)
            except TimeoutError:
                raise Probe("Target.Timeout", "Request timed out") from None
            parts = line.split()
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            if status not in codes:
                raise Probe(
                    "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]"
                )
            return None
        finally:
            writer.close()

    async def _probe_lambda(  # type: ignore[misc]
        self: Provider,
        row: dict[str, Any],
        target: dict[str, Any],
        path: str,
        codes: set[int],
        timeout: float,
    ) -> None:
        event = {
            "requestContext": {"elb": {"targetGroupArn": row["TargetGroupArn"]}},
            "httpMethod": "GET",
            "path": path,
            "queryStringParameters": {},
            "headers": {"user-agent": "ELB-HealthChecker/2.0"},
            "body": "",
            "isBase64Encoded": False,
        }
        try:
            status, _, _ = await asyncio.wait_for(self.call_lambda(row, target["Id"], event), timeout)
        except TimeoutError:
            raise Probe("Target.Timeout", "Request timed out") from None
        if status == 0:
            raise Probe("Target.FailedHealthChecks", "Health checks failed")
        if status not in codes:
            raise Probe("Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]")

    def resume_health(self: Provider) -> None:  # type: ignore[misc]
        """At start: probe again every target group that has targets and is in use."""
        for scope in self.tgs.scopes():
            for arn, row in self.tgs.scan(scope):
                if row["Targets"]:
                    self.watch_health(scope, arn)


def lambda_status(payload: bytes) -> int:
    try:
        return int(json.loads(payload).get("statusCode") or 0)
    except (ValueError, AttributeError, TypeError):
        return 0
