"""DNS query logging: each query the DNS server answers for a hosted zone with a query logging
config becomes a line in the config's CloudWatch Logs log group (us-east-1), in the stream of
the edge location that answered (`{zone id}/{edge}`), in Route 53's format:

    1.0 2017-12-13T08:15:50.235Z Z123412341234 example.com A NOERROR UDP FRA6 192.0.2.1 -

Lines are buffered and written by a flush task each second while any config exists."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger(__name__)

#: The edge location Overcast's one name server stands for.
EDGE = "IAD89"
FLUSH_SECONDS = 1.0
MAX_BUFFER = 100_000
LOGS_REGION = "us-east-1"
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def group_name(arn: str) -> str:
    """`arn:aws:logs:us-east-1:123:log-group:/aws/route53/x:*` → `/aws/route53/x`."""
    name = arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name


class QueryLog:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        #: zone id → (account, log group name)
        self.targets: dict[str, tuple[str, str]] = {}
        self.buffer: list[tuple[str, int, str]] = []
        self._flushing = False

    def set_targets(self, targets: dict[str, tuple[str, str]]) -> None:
        self.targets = targets
        if targets and not self._flushing:
            self._flushing = True
            self.runtime.spawn(self._flush_loop(), "route53-query-log")

    def record(self, zone_id: str, qname: str, qtype: str, rcode: int, protocol: str, client: str) -> None:
        if zone_id not in self.targets or len(self.buffer) >= MAX_BUFFER:
            return
        now = time.time()
        stamp = (
            datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(now * 1000) % 1000:03d}Z"
        )
        name = qname.rstrip(".") or "."
        line = f"1.0 {stamp} {zone_id} {name} {qtype} {RCODES.get(rcode, str(rcode))} {protocol} {EDGE} {client} -"
        self.buffer.append((zone_id, int(now * 1000), line))

    async def _flush_loop(self) -> None:
        try:
            while self.targets:
                await asyncio.sleep(FLUSH_SECONDS)
                self.flush()
        finally:
            self._flushing = False

    def flush(self) -> None:
        lines, self.buffer = self.buffer, []
        by_zone: dict[str, list[dict[str, Any]]] = {}
        for zone_id, moment, line in lines:
            by_zone.setdefault(zone_id, []).append({"timestamp": moment, "message": line})
        for zone_id, events in by_zone.items():
            target = self.targets.get(zone_id)
            if target is None:
                continue
            account, group = target
            try:
                self._write(account, group, f"{zone_id}/{EDGE}", events)
            except Exception:  # a deleted log group loses its lines, as AWS's would
                log.warning(
                    "Route 53 query log for %s could not be written to %s", zone_id, group, exc_info=True
                )

    def _write(self, account: str, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        logs = self.runtime.provider("logs")
        context = RequestContext.internal("logs", account, LOGS_REGION)
        try:
            logs.create_log_stream(context, {"logGroupName": group, "logStreamName": stream})
        except ServiceError as error:
            if error.code != "ResourceAlreadyExistsException":
                raise
        for start in range(0, len(events), 10_000):
            logs.put_log_events(
                context,
                {"logGroupName": group, "logStreamName": stream, "logEvents": events[start : start + 10_000]},
            )
