"""What Resolver's associations make the DNS server do, query by query, in AWS's order:

1. DNS Firewall: the rules of every associated rule group, by the association's priority and
   then the rule's; the first ALLOW or BLOCK decides (ALERT is logged and evaluation goes on). A
   block answers NODATA, NXDOMAIN, or a CNAME to the override domain. An answer whose CNAME or
   DNAME chain reaches a blocked domain is blocked too, unless the rule that decided the query's
   own name says TRUST_REDIRECTION_DOMAIN.
2. Resolver rules: the most specific associated rule's domain wins; a FORWARD rule sends the
   query over UDP to its target addresses in turn and returns the first answer (SERVFAIL when
   none answers in time), a SYSTEM rule (or none) lets Route 53's own answer stand.
3. Query logging: each answered query becomes one JSON line, in AWS's query-log fields, in the
   CloudWatch Logs group (stream: the VPC id) or S3 bucket (gzip objects under
   `AWSLogs/{account}/vpcdnsquerylogs/{vpc}/`) of every associated logging config, flushed each
   second. Overcast has no Firehose: such a destination is recorded, not delivered to.

Overcast has one resolver for every VPC: an association with any VPC applies to all queries."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.route53.engine import parse_question, wire_to_text

if TYPE_CHECKING:
    from overcast.runtime import Runtime

log = logging.getLogger(__name__)

FORWARD_TIMEOUT = 2.0
FLUSH_SECONDS = 1.0
MAX_BUFFER = 100_000
MEMO_SIZE = 50_000

Firewall = list[tuple[int, int, dict[str, Any], frozenset[str] | None, str]]


class _Reply(asyncio.DatagramProtocol):
    def __init__(self, waiter: asyncio.Future[bytes]) -> None:
        self.waiter = waiter

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.waiter.done():
            self.waiter.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.waiter.done():
            self.waiter.set_exception(exc)


def _matches(name: str, listed: frozenset[str] | None) -> bool:
    """`name` (lower case, trailing dot) is in a domain list: exactly, or under a `*.` entry."""
    if listed is None:
        return True
    if name in listed:
        return True
    labels = name.split(".")
    return any("*." + ".".join(labels[i:]) in listed for i in range(1, len(labels) - 1))


def _under(name: str, zone: str) -> bool:
    return zone == "." or name == zone or name.endswith("." + zone)


class Policy:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.forwards: list[tuple[str, str, list[tuple[str, int]]]] = []
        self.systems: list[str] = []
        self.firewall: Firewall = []
        #: (account, region, vpc id, destination ARN)
        self.logging: list[tuple[str, str, str, str]] = []
        self.buffer: list[tuple[int, str]] = []
        self._flushing = False
        self.active = False
        #: Memos of what the firewall decided, cleared whenever the rules change (`load`): by
        #: (name, type), and by reply (its bytes after the id) for redirection chains.
        self._verdicts: dict[tuple[str, str], tuple[tuple[dict[str, Any], str] | None, bool]] = {}
        self._chains: dict[tuple[bytes, str], tuple[dict[str, Any], str] | None] = {}
        #: What to do with a question (wire name, type): its name and type as text, the
        #: firewall's verdict and the forward targets; cleared with the other memos.
        self._plans: dict[tuple[bytes, int], tuple[str, str, Any, list[tuple[str, int]] | None]] = {}
        #: The DNS server's own address: a rule that forwards there would forward forever.
        self.own_address: Callable[[], tuple[str, int] | None] = lambda: None

    def load(
        self,
        forwards: list[tuple[str, str, list[tuple[str, int]]]],
        systems: list[str],
        firewall: Firewall,
        logging_targets: list[tuple[str, str, str, str]],
    ) -> None:
        self.forwards = sorted(forwards, key=lambda f: -len(f[0]))
        self.systems = systems
        self.firewall = firewall
        self.logging = logging_targets
        self.active = bool(forwards or firewall or logging_targets)
        self._verdicts.clear()
        self._chains.clear()
        self._plans.clear()
        if logging_targets and not self._flushing:
            self._flushing = True
            self.runtime.spawn(self._flush_loop(), "route53resolver-query-log")

    def close(self) -> None:
        self.logging = []

    # -- one query ------------------------------------------------------------------------------

    def answer(
        self, data: bytes, client: str, port: int, protocol: str, local: Callable[[], bytes | None]
    ) -> bytes | Awaitable[bytes | None] | None:
        """The reply to a query: bytes, an awaitable of bytes (a forwarded query), or None."""
        question = parse_question(data) if len(data) >= 12 and not data[2] & 0x80 else None
        if question is None:
            return local()
        _, qwire, qtype, _ = question
        plan_key = (qwire.lower(), qtype)
        plan = self._plans.get(plan_key)
        if plan is None:
            qname = wire_to_text(qwire)
            type_text = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(qtype))
            plan = (qname, type_text, self._firewall(qname, type_text), self._forward_target(qname))
            if len(self._plans) >= MEMO_SIZE:
                self._plans.clear()
            self._plans[plan_key] = plan
        qname, type_text, verdict, target = plan
        if verdict is not None and verdict[0]["Action"] == "BLOCK":
            blocked = self._blocked(data, verdict[0])
            self._log(blocked, qname, type_text, client, port, protocol, verdict)
            return blocked
        if target is None:
            reply = local()
            reply, verdict = self._inspect_chain(data, reply, qname, type_text, verdict)
            self._log(reply, qname, type_text, client, port, protocol, verdict)
            return reply
        return self._forwarded(data, target, qname, type_text, client, port, protocol, verdict)

    def _inspect_chain(
        self,
        data: bytes,
        reply: bytes | None,
        qname: str,
        qtype: str,
        verdict: tuple[dict[str, Any], str] | None,
    ) -> tuple[bytes | None, tuple[dict[str, Any], str] | None]:
        """A reply whose CNAME/DNAME chain leads to a blocked domain is blocked, unless the rule
        that decided the first domain trusts redirection (TRUST_REDIRECTION_DOMAIN)."""
        if not self.firewall or reply is None or self._decide(qname, qtype)[1]:
            return reply, verdict
        key = (reply[2:], qtype)
        if key in self._chains:
            found = self._chains[key]
        else:
            found = self._chain_block(reply, qtype)
            if len(self._chains) >= MEMO_SIZE:
                self._chains.clear()
            self._chains[key] = found
        if found is not None:
            return self._blocked(data, found[0]), found
        return reply, verdict

    def _chain_block(self, reply: bytes, qtype: str) -> tuple[dict[str, Any], str] | None:
        try:
            message = dns.message.from_wire(reply, ignore_trailing=True)
        except Exception:  # not ours to judge: passed on as it came
            return None
        for rrset in message.answer:
            if rrset.rdtype not in (dns.rdatatype.CNAME, dns.rdatatype.DNAME):
                continue
            for rdata in rrset:
                found = self._firewall(rdata.target.to_text().lower(), qtype)
                if found is not None and found[0]["Action"] == "BLOCK":
                    return found
        return None

    def _firewall(self, qname: str, qtype: str) -> tuple[dict[str, Any], str] | None:
        return self._decide(qname, qtype)[0]

    def _decide(self, qname: str, qtype: str) -> tuple[tuple[dict[str, Any], str] | None, bool]:
        """The firewall's verdict on a name (the BLOCK or ALERT rule to act on and log, None
        when it lets the name through unremarked), and whether the first rule that matches it
        trusts the name's redirection chain."""
        key = (qname, qtype)
        known = self._verdicts.get(key)
        if known is not None:
            return known
        labels = qname.split(".")
        names = {qname, *("*." + ".".join(labels[i:]) for i in range(1, len(labels) - 1))}
        alert: tuple[dict[str, Any], str] | None = None
        trusted: bool | None = None
        decided: tuple[dict[str, Any], str] | None = None
        for _, _, rule, listed, group in self.firewall:
            if rule.get("Qtype") and rule["Qtype"].upper() != qtype:
                continue
            if rule.get("DnsThreatProtection"):  # no traffic analysis here: such rules never match
                continue
            if listed is not None and names.isdisjoint(listed):
                continue
            if trusted is None:
                trusted = rule.get("FirewallDomainRedirectionAction") == "TRUST_REDIRECTION_DOMAIN"
            if rule["Action"] == "ALERT":
                alert = alert or (rule, group)
                continue
            decided = (rule, group) if rule["Action"] == "BLOCK" else alert
            break
        else:
            decided = alert
        result = (decided, bool(trusted))
        if len(self._verdicts) >= MEMO_SIZE:
            self._verdicts.clear()
        self._verdicts[key] = result
        return result

    @staticmethod
    def _blocked(data: bytes, rule: dict[str, Any]) -> bytes:
        query = dns.message.from_wire(data, ignore_trailing=True)
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.RA
        response = rule.get("BlockResponse", "NODATA")
        if response == "NXDOMAIN":
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif response == "OVERRIDE":
            target = str(rule.get("BlockOverrideDomain", "")).rstrip(".") + "."
            reply.answer.append(
                dns.rrset.from_text(
                    query.question[0].name, int(rule.get("BlockOverrideTtl", 0)), "IN", "CNAME", target
                )
            )
        return reply.to_wire()

    def _forward_target(self, qname: str) -> list[tuple[str, int]] | None:
        best: tuple[int, list[tuple[str, int]] | None] = (-1, None)
        for zone in self.systems:
            if _under(qname, zone) and len(zone) > best[0]:
                best = (len(zone), None)
        for zone, _, targets in self.forwards:
            if _under(qname, zone) and len(zone) > best[0]:
                best = (len(zone), targets)
                break  # forwards are sorted longest first
        return best[1]

    async def _forwarded(
        self,
        data: bytes,
        targets: list[tuple[str, int]],
        qname: str,
        qtype: str,
        client: str,
        port: int,
        protocol: str,
        verdict: tuple[dict[str, Any], str] | None,
    ) -> bytes | None:
        loop = asyncio.get_running_loop()
        reply: bytes | None = None
        own = self.own_address()
        for address in targets:
            if own is not None and address[1] == own[1] and address[0] in (own[0], "127.0.0.1", "0.0.0.0"):
                continue
            waiter: asyncio.Future[bytes] = loop.create_future()
            try:
                transport, _ = await loop.create_datagram_endpoint(
                    partial(_Reply, waiter), remote_addr=address
                )
            except OSError:
                continue
            try:
                transport.sendto(data)
                reply = await asyncio.wait_for(waiter, FORWARD_TIMEOUT)
                break
            except (TimeoutError, OSError):
                continue
            finally:
                transport.close()
        if reply is None:
            query = dns.message.from_wire(data, ignore_trailing=True)
            failure = dns.message.make_response(query)
            failure.set_rcode(dns.rcode.SERVFAIL)
            reply = failure.to_wire()
        else:
            reply, verdict = self._inspect_chain(data, reply, qname, qtype, verdict)
        self._log(reply, qname, qtype, client, port, protocol, verdict)
        return reply

    # -- query logging --------------------------------------------------------------------------

    def _log(
        self,
        reply: bytes | None,
        qname: str,
        qtype: str,
        client: str,
        port: int,
        protocol: str,
        verdict: tuple[dict[str, Any], str] | None,
    ) -> None:
        if not self.logging or reply is None or len(self.buffer) >= MAX_BUFFER:
            return
        answers: list[dict[str, str]] = []
        rcode = "NOERROR"
        try:
            message = dns.message.from_wire(reply, ignore_trailing=True)
            rcode = dns.rcode.to_text(message.rcode())
            for rrset in message.answer:
                for rdata in rrset:
                    answers.append(
                        {
                            "Rdata": rdata.to_text(),
                            "Type": dns.rdatatype.to_text(rrset.rdtype),
                            "Class": dns.rdataclass.to_text(rrset.rdclass),
                        }
                    )
        except Exception:  # a truncated or odd reply is logged without its answers
            pass
        now = time.time()
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry: dict[str, Any] = {
            "version": "1.100000",
            "query_timestamp": stamp,
            "query_name": qname,
            "query_type": qtype,
            "query_class": "IN",
            "rcode": rcode,
            "answers": answers,
            "srcaddr": client,
            "srcport": str(port),
            "transport": protocol,
            "srcids": {},
        }
        if verdict is not None:
            rule, group = verdict
            entry["firewall_rule_action"] = rule["Action"]
            entry["firewall_rule_group_id"] = group
            entry["firewall_domain_list_id"] = rule.get("FirewallDomainListId", "")
        self.buffer.append((int(now * 1000), json.dumps(entry)))

    async def _flush_loop(self) -> None:
        try:
            while self.logging:
                await asyncio.sleep(FLUSH_SECONDS)
                await self.flush()
        finally:
            self._flushing = False

    async def flush(self) -> None:
        lines, self.buffer = self.buffer, []
        if not lines:
            return
        for account, region, vpc, destination in self.logging:
            if ":firehose:" in destination or ":kinesis:" in destination:
                continue  # Overcast has no Firehose to deliver to: recorded, not delivered
            events = []
            for moment, line in lines:
                entry = json.loads(line)
                head = {
                    "version": entry.pop("version"),
                    "account_id": account,
                    "region": region,
                    "vpc_id": vpc,
                }
                events.append({"timestamp": moment, "message": json.dumps({**head, **entry})})
            try:
                if ":s3:::" in destination:
                    await self._write_s3(account, region, destination, vpc, events)
                else:
                    self._write(account, destination, vpc, events)
            except Exception:  # a deleted log group or bucket loses its lines, as AWS's would
                log.warning("Resolver query log could not be written to %s", destination, exc_info=True)

    async def _write_s3(
        self, account: str, region: str, destination: str, vpc: str, events: list[dict[str, Any]]
    ) -> None:
        """One gzip object of JSON lines, at the key AWS's log delivery uses."""
        bucket, _, prefix = destination.split(":::", 1)[1].partition("/")
        moment = datetime.fromtimestamp(events[0]["timestamp"] / 1000, UTC)
        body = gzip.compress(("\n".join(e["message"] for e in events) + "\n").encode())
        name = f"{account}_vpcdnsquerylogs_{vpc}_{moment:%Y%m%dT%H%MZ}_{secrets.token_hex(4)}.log.gz"
        key = f"AWSLogs/{account}/vpcdnsquerylogs/{vpc}/{moment:%Y/%m/%d}/{name}"
        if prefix:
            key = f"{prefix.rstrip('/')}/{key}"
        await self.runtime.provider("s3").write_object(
            account, region, bucket, key, body, "application/x-gzip"
        )

    def _write(self, account: str, destination: str, stream: str, events: list[dict[str, Any]]) -> None:
        parts = destination.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else "us-east-1"
        group = destination.split(":log-group:", 1)[-1].removesuffix(":*")
        logs = self.runtime.provider("logs")
        context = RequestContext.internal(
            "logs", parts[4] if len(parts) > 4 and parts[4] else account, region
        )
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
