"""Change batches applied to a zone's record sets in memory: each change sees the ones before
it, problems are collected as Route 53 words them, and nothing is written when one fails."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.route53 import records as rr

ZONE = "example.com."


def a(name: str, *values: str, **extra) -> dict:
    return {"Name": name, "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": v} for v in values], **extra}


def apply(current: dict, *changes: tuple[str, dict]):
    return rr.apply_changes(
        ZONE, current, [{"Action": action, "ResourceRecordSet": r} for action, r in changes]
    )


def test_names_are_canonical_and_sorted_by_labels():
    assert rr.canonical_name("WWW.Example.COM") == "www.example.com."
    assert rr.canonical_name("\\052.example.com") == "*.example.com."
    assert rr.display_name("*.example.com.") == "\\052.example.com."
    names = ["b.example.com.", "example.com.", "x.a.example.com.", "a.example.com."]
    assert sorted(names, key=rr.sort_key) == [
        "example.com.",
        "a.example.com.",
        "x.a.example.com.",
        "b.example.com.",
    ]


def test_batch_sees_its_own_changes():
    writes, problems = apply(
        {}, ("CREATE", a("www.example.com", "192.0.2.1")), ("DELETE", a("www.example.com", "192.0.2.1"))
    )
    assert problems == [] and list(writes.values()) == [None]


def test_upsert_replaces_and_delete_must_match_exactly():
    current = {
        rr.record_key(rr.normalise(a("www.example.com", "192.0.2.1", "192.0.2.2"))): rr.normalise(
            a("www.example.com", "192.0.2.1", "192.0.2.2")
        )
    }
    writes, problems = apply(current, ("DELETE", a("www.example.com", "192.0.2.2", "192.0.2.1")))
    assert problems == [] and list(writes.values()) == [None]  # order of values does not matter
    _, problems = apply(current, ("DELETE", a("www.example.com", "192.0.2.1")))
    assert problems == [
        "Tried to delete resource record set [name='www.example.com.', type='A'] but the values provided do not match the current values"
    ]
    writes, problems = apply(current, ("UPSERT", a("www.example.com", "192.0.2.9")))
    assert problems == [] and [r["ResourceRecords"] for r in writes.values() if r] == [
        [{"Value": "192.0.2.9"}]
    ]


def test_problems_are_collected_over_the_batch():
    _, problems = apply(
        {},
        ("CREATE", a("one.example.com", "300.0.0.1")),
        ("CREATE", a("two.other.org", "192.0.2.1")),
        ("DELETE", a("three.example.com", "192.0.2.1")),
    )
    assert len(problems) == 3
    assert problems[1] == "RRSet with DNS name two.other.org. is not permitted in zone example.com."


def test_routing_policies_do_not_mix():
    weighted = a("w.example.com", "192.0.2.1", SetIdentifier="one", Weight=1)
    _, problems = apply({}, ("CREATE", weighted), ("CREATE", a("w.example.com", "192.0.2.2")))
    assert problems and "cannot be created" in problems[0]
    _, problems = apply(
        {},
        ("CREATE", a("f.example.com", "192.0.2.1", SetIdentifier="p1", Failover="PRIMARY")),
        ("CREATE", a("f.example.com", "192.0.2.2", SetIdentifier="p2", Failover="PRIMARY")),
    )
    assert problems and "another PRIMARY failover" in problems[0]


def test_shape_problems_refuse_at_once():
    with pytest.raises(ServiceError) as caught:
        apply({}, ("CREATE", {"Name": "x.example.com", "Type": "A", "TTL": 60}))
    assert caught.value.code == "InvalidInput"
    with pytest.raises(ServiceError):
        apply({}, ("CREATE", a("x.example.com", "192.0.2.1", SetIdentifier="s")))
