"""The DNS engine on the wire: a query message in, the answer's bytes out, parsed back by
dnspython; the cache of stable answers and its invalidation; routing by weight."""

from __future__ import annotations

import collections

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from overcast.services.route53.engine import Engine, respond

ZONE = "example.com."
SOA = "ns-1.awsdns-1.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"


def engine(healthy: set[str] | None = None) -> Engine:
    found = Engine(lambda check: healthy is None or check in healthy, lambda record, client: False)
    found.add_zone("Z1", ZONE, "000000000000", False)
    found.put("Z1", {"Name": ZONE, "Type": "SOA", "TTL": 900, "ResourceRecords": [{"Value": SOA}]})
    found.put(
        "Z1",
        {"Name": ZONE, "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns-1.awsdns-1.com."}]},
    )
    return found


def ask(found: Engine, name: str, rtype: str = "A", case: str | None = None) -> dns.message.Message:
    query = dns.message.make_query(case or name, dns.rdatatype.from_text(rtype))
    reply = respond(found, query.to_wire(), "127.0.0.1", None)
    assert reply is not None
    response = dns.message.from_wire(reply)
    assert response.id == query.id and response.question == query.question
    return response


def test_answer_and_cache_invalidation():
    found = engine()
    found.put(
        "Z1",
        {"Name": "www.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]},
    )
    response = ask(found, "www.example.com.")
    assert response.flags & dns.flags.AA and response.answer[0].ttl == 60
    assert ask(found, "www.example.com.", case="WwW.ExAmPlE.cOm.").answer[0][0].to_text() == "192.0.2.1"
    found.put(
        "Z1",
        {"Name": "www.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]},
    )
    assert ask(found, "www.example.com.").answer[0][0].to_text() == "192.0.2.2"
    found.delete("Z1", {"Name": "www.example.com.", "Type": "A"})
    assert ask(found, "www.example.com.").rcode() == dns.rcode.NXDOMAIN


def test_soa_minimum_caps_the_negative_ttl():
    response = ask(engine(), "nothing.example.com.")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.authority[0].rdtype == dns.rdatatype.SOA and response.authority[0].ttl == 900


def test_weights_split_and_health_filters():
    found = engine(healthy={"good"})
    for ident, value, weight, check in (("a", "192.0.2.1", 1, "good"), ("b", "192.0.2.2", 1, "bad")):
        found.put(
            "Z1",
            {"Name": "w.example.com.", "Type": "A", "TTL": 0, "SetIdentifier": ident, "Weight": weight,
             "HealthCheckId": check, "ResourceRecords": [{"Value": value}]},
        )  # fmt: skip
    seen = collections.Counter(ask(found, "w.example.com.").answer[0][0].to_text() for _ in range(50))
    assert seen == {"192.0.2.1": 50}  # the unhealthy one never answers while another is healthy


def test_malformed_queries():
    found = engine()
    assert respond(found, b"\x00\x01", "127.0.0.1", None) is None
    header_only = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05abc"
    reply = respond(found, header_only, "127.0.0.1", None)
    assert reply is not None and reply[:2] == b"\x12\x34" and reply[3] & 0x0F == dns.rcode.FORMERR
    notify = bytes([0x00, 0x01, 0x20, 0x00]) + b"\x00\x01" + b"\x00" * 6 + b"\x00\x00\x06\x00\x01"
    reply = respond(found, notify, "127.0.0.1", None)
    assert reply is not None and reply[3] & 0x0F == dns.rcode.NOTIMP
