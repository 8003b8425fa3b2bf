"""The order in which Resolver's policy decides a query: firewall rule groups by association
priority, then rule priority (ALLOW and BLOCK stop, ALERT goes on); domain lists match exactly or
under a `*.` entry; the most specific resolver rule wins, a SYSTEM rule included."""

from __future__ import annotations

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from overcast.services.route53resolver.dnspolicy import Policy, _matches


class _Runtime:
    def spawn(self, coroutine, name):  # no logging configured: never called
        raise AssertionError("nothing to spawn")


def _rule(action: str, priority: int, **extra) -> dict:
    return {"Action": action, "Priority": priority, "FirewallDomainListId": f"fdl-{priority}", **extra}


def _query(name: str, rtype: str = "A") -> bytes:
    return dns.message.make_query(name, dns.rdatatype.from_text(rtype)).to_wire()


def test_domain_list_matching():
    listed = frozenset({"example.com.", "*.corp.example."})
    assert _matches("example.com.", listed)
    assert not _matches("www.example.com.", listed)
    assert _matches("a.corp.example.", listed) and _matches("a.b.corp.example.", listed)
    assert not _matches("corp.example.", listed)  # `*.` names what is under the domain only
    assert _matches("anything.at.all.", None)  # a list holding `*`


def test_firewall_order_allow_block_alert():
    policy = Policy(_Runtime())  # type: ignore[arg-type]
    blocked = frozenset({"bad.test."})
    firewall = [
        (200, 1, _rule("BLOCK", 1, BlockResponse="NXDOMAIN"), blocked, "late-group"),
        (101, 5, _rule("ALLOW", 5), blocked, "early-group"),
        (101, 1, _rule("ALERT", 1), blocked, "early-group"),
    ]
    firewall.sort(key=lambda entry: (entry[0], entry[1]))
    policy.load([], [], firewall, [])
    verdict = policy._firewall("bad.test.", "A")
    # ALERT (101/1) is noted, then ALLOW (101/5) stops before the other group's BLOCK.
    assert verdict is not None and verdict[0]["Action"] == "ALERT"
    policy.load([], [], [entry for entry in firewall if entry[2]["Action"] != "ALLOW"], [])
    verdict = policy._firewall("bad.test.", "A")
    assert verdict is not None and verdict[0]["Action"] == "BLOCK"
    assert policy._firewall("good.test.", "A") is None
    policy.load([], [], [(101, 1, _rule("BLOCK", 1, BlockResponse="NODATA", Qtype="AAAA"), blocked, "g")], [])
    assert policy._firewall("bad.test.", "A") is None
    assert policy._firewall("bad.test.", "AAAA") is not None


def test_blocked_answers():
    policy = Policy(_Runtime())  # type: ignore[arg-type]
    blocked = frozenset({"bad.test."})
    policy.load([], [], [(101, 1, _rule("BLOCK", 1, BlockResponse="NXDOMAIN"), blocked, "g")], [])
    reply = dns.message.from_wire(policy.answer(_query("bad.test."), "127.0.0.1", 1, "UDP", lambda: None))  # type: ignore[arg-type]
    assert reply.rcode() == dns.rcode.NXDOMAIN and reply.answer == []
    override = _rule(
        "BLOCK",
        1,
        BlockResponse="OVERRIDE",
        BlockOverrideDomain="walled.test",
        BlockOverrideDnsType="CNAME",
        BlockOverrideTtl=30,
    )
    policy.load([], [], [(101, 1, override, blocked, "g")], [])
    reply = dns.message.from_wire(policy.answer(_query("bad.test."), "127.0.0.1", 1, "UDP", lambda: None))  # type: ignore[arg-type]
    assert [(r.rdtype, r.ttl, r[0].to_text()) for r in reply.answer] == [
        (dns.rdatatype.CNAME, 30, "walled.test.")
    ]
    # Names no rule matches get the local answer.
    assert policy.answer(_query("fine.test."), "127.0.0.1", 1, "UDP", lambda: b"local") == b"local"


def test_most_specific_rule_wins():
    policy = Policy(_Runtime())  # type: ignore[arg-type]
    policy.load(
        [("example.", "r1", [("127.0.0.1", 5301)]), ("corp.example.", "r2", [("127.0.0.1", 5302)])],
        ["local.corp.example."],
        [],
        [],
    )
    assert policy._forward_target("a.corp.example.") == [("127.0.0.1", 5302)]
    assert policy._forward_target("a.other.example.") == [("127.0.0.1", 5301)]
    assert policy._forward_target("x.local.corp.example.") is None  # SYSTEM: answered locally
    assert policy._forward_target("example.org.") is None
    assert policy._forward_target("notexample.") is None


def test_redirection_chain_is_inspected_unless_trusted():
    policy = Policy(_Runtime())  # type: ignore[arg-type]
    block = (200, 1, _rule("BLOCK", 1, BlockResponse="NXDOMAIN"), frozenset({"evil.test."}), "g")
    query = _query("www.fine.test.")
    chained = dns.message.make_response(dns.message.from_wire(query))
    chained.answer.append(dns.rrset.from_text("www.fine.test.", 60, "IN", "CNAME", "evil.test."))
    local = chained.to_wire()
    policy.load([], [], [block], [])
    reply = dns.message.from_wire(policy.answer(query, "127.0.0.1", 1, "UDP", lambda: local))  # type: ignore[arg-type]
    assert reply.rcode() == dns.rcode.NXDOMAIN
    trust = _rule("ALLOW", 1, FirewallDomainRedirectionAction="TRUST_REDIRECTION_DOMAIN")
    policy.load([], [], [(101, 1, trust, frozenset({"www.fine.test."}), "t"), block], [])
    assert policy.answer(query, "127.0.0.1", 1, "UDP", lambda: local) == local
