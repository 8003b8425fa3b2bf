"""Health checks that really probe: HTTP, HTTPS (with or without a search string) and TCP
against their endpoint, calculated checks over their children, and CloudWatch-alarm checks
that follow the alarm's state. A check becomes unhealthy after FailureThreshold failures in a
row and healthy again after as many successes (Inverted turns the result over; Disabled is
always healthy). Probing runs on the server's loop while any health check exists, each check
at its RequestInterval on the scheduler's clock, the first probe at once."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.route53.errors import error, invalid, no_health_check

if TYPE_CHECKING:
    from overcast.services.route53.provider import Provider

ENDPOINT_TYPES = {"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"}
DEFAULT_REGIONS = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
]
CONNECT_TIMEOUT = 4.0
RESPONSE_TIMEOUT = 2.0
SEARCH_BYTES = 5120
CHECKER_IP = "127.0.0.1"
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


async def probe(config: dict[str, Any]) -> tuple[bool, str]:
    """Probe an endpoint once: (success, Route 53's status report text)."""
    kind = config["Type"]
    host = config.get("IPAddress") or config.get("FullyQualifiedDomainName") or ""
    secure = kind.startswith("HTTPS")
    port = int(config.get("Port") or (443 if secure else 80))
    try:
        context = None
        if secure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        server_name = (
            config.get("FullyQualifiedDomainName") if secure and config.get("EnableSNI", True) else None
        )
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=server_name if secure else None),
            CONNECT_TIMEOUT,
        )
    except (OSError, TimeoutError, ssl.SSLError) as problem:
        reason = "Timeout" if isinstance(problem, TimeoutError) else "Connection refused"
        return False, f"Failure: {reason}. Resolved IP: {host}"
    try:
        if kind == "TCP":
            return True, "Success: TCP connection established."
        path = config.get("ResourcePath") or "/"
        host_header = config.get("FullyQualifiedDomainName") or host
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: Amazon-Route53-Health-Check-Service\r\n"
            "Connection: close\r\n\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), RESPONSE_TIMEOUT)
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        if not 200 <= status < 400:
            return False, f"Failure: HTTP Status Code {status}, {reason}. Resolved IP: {host}"
        if kind.endswith("STR_MATCH"):
            body = b""
            try:
                while len(body) < SEARCH_BYTES:
                    chunk = await asyncio.wait_for(reader.read(SEARCH_BYTES - len(body)), RESPONSE_TIMEOUT)
                    if not chunk:
                        break
                    body += chunk
            except TimeoutError:
                pass
            if config.get("SearchString", "").encode() not in body:
                return False, (
                    f"Failure: Search string not found in response body. HTTP Status Code {status}, {reason}. "
                    f"Resolved IP: {host}"
                )
        return True, f"Success: HTTP Status Code {status}, {reason}"
    except (
        OSError,
        TimeoutError,
        ValueError,
        IndexError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
    ):
        return False, f"Failure: The endpoint did not answer with an HTTP response. Resolved IP: {host}"
    finally:
        writer.close()


class HealthMixin:
    def init_health(self: Provider) -> None:  # type: ignore[misc]
        #: check id → {"healthy", "failures", "successes", "report", "failure", "due"}
        self.status: dict[str, dict[str, Any]] = {}
        self.prober: asyncio.Task[Any] | None = None
        self._probing = False
        self._generation = 0

    def is_healthy(self: Provider, check_id: str) -> bool:  # type: ignore[misc]
        state = self.status.get(check_id)
        return True if state is None else bool(state["healthy"])

    def resume_health(self: Provider) -> None:  # type: ignore[misc]
        if any(self.health_checks.count(scope) for scope in self.health_checks.scopes()):
            self.start_probing()

    def start_probing(self: Provider) -> None:  # type: ignore[misc]
        if not self._probing:
            self._probing = True
            self._generation += 1
            self.runtime.spawn(self._probe_loop(self._generation), "route53-health")

    def stop_health(self: Provider) -> None:  # type: ignore[misc]
        """End the probing loop (a later start_probing begins a new one)."""
        self._probing = False
        self._generation += 1

    def _all_checks(self: Provider) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[misc]
        return [
            (scope, row) for scope in self.health_checks.scopes() for _, row in self.health_checks.scan(scope)
        ]

    async def _probe_loop(self: Provider, generation: int) -> None:  # type: ignore[misc]
        while generation == self._generation:
            checks = self._all_checks()
            if not checks:
                self._probing = False
                if not self._all_checks():  # one created just now keeps this loop going
                    return
                self._probing = True
                continue
            try:
                await self._probe_due(checks)
            except Exception:  # one bad round must not end probing
                log.exception("Route 53 health checks: a round of probes failed")
            await asyncio.sleep(min(0.5, 1.0 / max(self.runtime.scheduler.speed, 1.0)))

    async def _probe_due(self: Provider, checks: list[tuple[str, dict[str, Any]]]) -> None:  # type: ignore[misc]
        now = self.runtime.scheduler.now()
        due = [(s, c) for s, c in checks if self.status.get(c["Id"], {}).get("due", 0) <= now]
        endpoint = [c for _, c in due if c["HealthCheckConfig"]["Type"] in ENDPOINT_TYPES]
        results = await asyncio.gather(*(self._probe_one(c) for c in endpoint))
        for check, (ok, report) in zip(endpoint, results, strict=True):
            self._record(check, ok, report, now)
        for scope, check in due:
            kind = check["HealthCheckConfig"]["Type"]
            if kind == "CLOUDWATCH_METRIC":
                ok, report = self._alarm_state(scope, check)
                self._record(check, ok, report, now)
            elif kind == "RECOVERY_CONTROL":
                self._record(check, True, "Success: the routing control is on.", now)
        for scope, check in checks:
            if check["HealthCheckConfig"]["Type"] == "CALCULATED":
                self._calculate(check, now)

    async def _probe_one(self: Provider, check: dict[str, Any]) -> tuple[bool, str]:  # type: ignore[misc]
        config = check["HealthCheckConfig"]
        if config.get("Disabled"):
            return True, "Success: the health check is disabled."
        try:
            return await probe(config)
        except Exception as problem:  # a probe never stops the loop
            return False, f"Failure: {problem}"

    def _state(self: Provider, check: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return self.status.setdefault(
            check["Id"],
            {"healthy": True, "failures": 0, "successes": 0, "report": None, "failure": None, "due": 0},
        )

    def _record(self: Provider, check: dict[str, Any], ok: bool, report: str, now: float) -> None:  # type: ignore[misc]
        config = check["HealthCheckConfig"]
        state = self._state(check)
        threshold = int(config.get("FailureThreshold") or 3)
        stamp = _now()
        state["report"] = (report, stamp)
        if ok:
            state["successes"] += 1
            state["failures"] = 0
            if state["successes"] >= threshold:
                state["raw"] = True
        else:
            state["failures"] += 1
            state["successes"] = 0
            state["failure"] = (report, stamp)
            if state["failures"] >= threshold:
                state["raw"] = False
        raw = state.get("raw", True)
        state["healthy"] = True if config.get("Disabled") else (not raw if config.get("Inverted") else raw)
        # An alarm's state is read, not probed: it is followed within a second.
        interval = 1 if config["Type"] == "CLOUDWATCH_METRIC" else int(config.get("RequestInterval") or 30)
        state["due"] = now + interval

    def _calculate(self: Provider, check: dict[str, Any], now: float) -> None:  # type: ignore[misc]
        config = check["HealthCheckConfig"]
        children = config.get("ChildHealthChecks") or []
        healthy = sum(1 for child in children if self.is_healthy(child))
        ok = healthy >= int(config.get("HealthThreshold") or 0)
        state = self._state(check)
        state["report"] = (
            f"{'Success' if ok else 'Failure'}: {healthy} of {len(children)} child health checks are healthy.",
            _now(),
        )
        if not ok:
            state["failure"] = state["report"]
        state["raw"] = ok
        state["healthy"] = True if config.get("Disabled") else (not ok if config.get("Inverted") else ok)

    def _alarm_state(self: Provider, scope: str, check: dict[str, Any]) -> tuple[bool, str]:  # type: ignore[misc]
        config = check["HealthCheckConfig"]
        alarm = config.get("AlarmIdentifier") or {}
        context = RequestContext.internal("cloudwatch", scope, alarm.get("Region", "us-east-1"))
        try:
            found = self.runtime.provider("cloudwatch").describe_alarms(
                context, {"AlarmNames": [alarm.get("Name", "")]}
            )
        except Exception:
            found = {"MetricAlarms": []}
        alarms = found.get("MetricAlarms") or []
        state = alarms[0]["StateValue"] if alarms else "INSUFFICIENT_DATA"
        if state == "OK":
            return True, "Success: the CloudWatch alarm is in the OK state."
        if state == "ALARM":
            return False, "Failure: the CloudWatch alarm is in the ALARM state."
        setting = config.get("InsufficientDataHealthStatus") or "LastKnownStatus"
        if setting == "LastKnownStatus":
            return self.is_healthy(check["Id"]), "Success: insufficient data; the last known status holds."
        return (
            setting == "Healthy",
            f"{'Success' if setting == 'Healthy' else 'Failure'}: the CloudWatch alarm has insufficient data.",
        )

    # -- the API ------------------------------------------------------------------------------

    def _check_config(self: Provider, scope: str, config: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        kind = config["Type"]
        out = dict(config)
        if kind in ENDPOINT_TYPES:
            if not config.get("IPAddress") and not config.get("FullyQualifiedDomainName"):
                raise invalid(
                    "Invalid parameter: Either IPAddress or FullyQualifiedDomainName must be specified."
                )
            if kind.endswith("STR_MATCH") and not config.get("SearchString"):
                raise invalid("A search string is required for health checks of type " + kind)
            out.setdefault("Port", 443 if kind.startswith("HTTPS") else 80)
            out.setdefault("RequestInterval", 30)
            out.setdefault("FailureThreshold", 3)
            out.setdefault("MeasureLatency", False)
            # SNI is on by default where there is TLS to send it in, and reported off elsewhere.
            out.setdefault("EnableSNI", kind.startswith("HTTPS"))
            if kind != "TCP":
                out.setdefault("ResourcePath", "/")
            if int(out["RequestInterval"]) not in (10, 30):
                raise invalid("RequestInterval must be 10 or 30.")
            if not 1 <= int(out["FailureThreshold"]) <= 10:
                raise invalid("FailureThreshold must be between 1 and 10.")
            out.setdefault("Regions", [])
        elif kind == "CALCULATED":
            for child in config.get("ChildHealthChecks") or []:
                if self.health_checks.get(scope, child) is None:
                    raise no_health_check(child)
            out.setdefault("HealthThreshold", 0)
        elif kind == "CLOUDWATCH_METRIC":
            if not config.get("AlarmIdentifier"):
                raise invalid("AlarmIdentifier is required for a CLOUDWATCH_METRIC health check.")
            out.setdefault("InsufficientDataHealthStatus", "LastKnownStatus")
        out.setdefault("Inverted", False)
        out.setdefault("Disabled", False)
        if not out.get("Regions"):
            out.pop("Regions", None)
        return out

    def _health_output(self: Provider, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        out = {k: row[k] for k in ("Id", "CallerReference", "HealthCheckConfig", "HealthCheckVersion")}
        alarm = row["HealthCheckConfig"].get("AlarmIdentifier")
        if alarm:
            out["CloudWatchAlarmConfiguration"] = {
                "EvaluationPeriods": 1,
                "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "Period": 60,
                "MetricName": alarm["Name"],
                "Namespace": "AWS/CloudWatch",
                "Statistic": "Minimum",
            }
        return out

    def _health_row(self: Provider, context: RequestContext, check_id: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.health_checks.get(self.scope_of(context), check_id)
        if row is None:
            raise no_health_check(check_id)
        return row

    def create_health_check(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        reference = params["CallerReference"]
        with self.store.transaction():
            config = self._check_config(scope, params["HealthCheckConfig"])
            for _, other in self.health_checks.scan(scope):
                if other["CallerReference"] == reference:
                    if other["HealthCheckConfig"] == config:
                        return {
                            "HealthCheck": self._health_output(other),
                            "Location": self._location(other["Id"]),
                        }
                    raise error(
                        "HealthCheckAlreadyExists",
                        "A health check with the specified CallerReference already exists and has a different configuration.",
                    )
            check_id = str(uuid.uuid4())
            row = {
                "Id": check_id,
                "CallerReference": reference,
                "HealthCheckConfig": config,
                "HealthCheckVersion": 1,
                "Tags": {},
            }
            self.health_checks.put(scope, check_id, row)
        self.start_probing()
        context.status = 201
        return {"HealthCheck": self._health_output(row), "Location": self._location(check_id)}

    @staticmethod
    def _location(check_id: str) -> str:
        return f"https://route53.amazonaws.com/2013-04-01/healthcheck/{check_id}"

    def get_health_check(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"HealthCheck": self._health_output(self._health_row(context, params["HealthCheckId"]))}

    def list_health_checks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.route53.provider import max_items

        limit = max_items(params)
        rows = [row for _, row in self.health_checks.scan(self.scope_of(context))]
        marker = params.get("Marker")
        if marker:
            rows = [r for r in rows if r["Id"] >= marker]
        out: dict[str, Any] = {
            "HealthChecks": [self._health_output(r) for r in rows[:limit]],
            "Marker": marker or "",
            "IsTruncated": len(rows) > limit,
            "MaxItems": str(limit),
        }
        if len(rows) > limit:
            out["NextMarker"] = rows[limit]["Id"]
        return out

    def get_health_check_count(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"HealthCheckCount": self.health_checks.count(self.scope_of(context))}

    def update_health_check(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._health_row(context, params["HealthCheckId"])
            version = params.get("HealthCheckVersion")
            if version is not None and int(version) != row["HealthCheckVersion"]:
                raise error(
                    "HealthCheckVersionMismatch",
                    "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion "
                    "in the health check.",
                )
            config = dict(row["HealthCheckConfig"])
            for name in (
                "IPAddress",
                "Port",
                "ResourcePath",
                "FullyQualifiedDomainName",
                "SearchString",
                "FailureThreshold",
                "Inverted",
                "Disabled",
                "HealthThreshold",
                "ChildHealthChecks",
                "EnableSNI",
                "Regions",
                "AlarmIdentifier",
                "InsufficientDataHealthStatus",
            ):
                if params.get(name) is not None:
                    config[name] = params[name]
            for element in params.get("ResetElements") or []:
                defaults = {
                    "ResourcePath": "/",
                    "Regions": None,
                    "ChildHealthChecks": None,
                    "FullyQualifiedDomainName": None,
                }
                if defaults.get(element) is None:
                    config.pop(element, None)
                else:
                    config[element] = defaults[element]
            row["HealthCheckConfig"] = self._check_config(scope, config)
            row["HealthCheckVersion"] += 1
            self.health_checks.put(scope, row["Id"], row)
        state = self.status.get(row["Id"])
        if state is not None:
            state["due"] = 0
        return {"HealthCheck": self._health_output(row)}

    def delete_health_check(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        check_id = params["HealthCheckId"]
        with self.store.transaction():
            self._health_row(context, check_id)
            for key, record in self.records.scan(scope):
                if record.get("HealthCheckId") == check_id:
                    raise error(
                        "HealthCheckInUse",
                        f"The health check {check_id} is still referenced from a resource record set.",
                    )
            for _, other in self.health_checks.scan(scope):
                if check_id in (other["HealthCheckConfig"].get("ChildHealthChecks") or []):
                    raise error(
                        "HealthCheckInUse",
                        f"The health check {check_id} is a child of the calculated health check {other['Id']}.",
                    )
            self.health_checks.delete(scope, check_id)
        self.status.pop(check_id, None)
        return {}

    def get_health_check_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._health_row(context, params["HealthCheckId"])
        if row["HealthCheckConfig"]["Type"] in ("CALCULATED", "CLOUDWATCH_METRIC"):
            raise invalid(
                f"Health check {row['Id']} of type {row['HealthCheckConfig']['Type']} has no status from health checkers."
            )
        state = self.status.get(row["Id"]) or {}
        report = state.get("report")
        return {"HealthCheckObservations": self._observations(row, report)}

    def get_health_check_last_failure_reason(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._health_row(context, params["HealthCheckId"])
        state = self.status.get(row["Id"]) or {}
        return {"HealthCheckObservations": self._observations(row, state.get("failure"))}

    @staticmethod
    def _observations(row: dict[str, Any], report: tuple[str, datetime] | None) -> list[dict[str, Any]]:
        if report is None:
            return []
        regions = row["HealthCheckConfig"].get("Regions") or DEFAULT_REGIONS
        # Overcast's one checker answers for every checker region the health check names.
        return [
            {
                "Region": region,
                "IPAddress": CHECKER_IP,
                "StatusReport": {"Status": report[0], "CheckedTime": report[1]},
            }
            for region in regions
        ]

    def get_checker_ip_ranges(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"CheckerIpRanges": ["127.0.0.1/32"]}

    def probe_now(self: Provider) -> float:  # type: ignore[misc]
        """Make every health check due at once (tests: no wait for the next interval)."""
        for state in self.status.values():
            state["due"] = 0
        return time.time()
