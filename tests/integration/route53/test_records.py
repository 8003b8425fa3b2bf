"""ChangeResourceRecordSets: CREATE/UPSERT/DELETE, the batch applied all or nothing, DELETE
only of exactly the current values, Route 53's InvalidChangeBatch wording, value checks per
record type, change status, and ListResourceRecordSets' order and paging."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.route53.conftest import a_record, change


def batch_error(route53, zone_id, *changes) -> ClientError:
    with pytest.raises(ClientError) as caught:
        change(route53, zone_id, *changes)
    assert caught.value.response["Error"]["Code"] == "InvalidChangeBatch"
    return caught.value


def names(route53, zone_id) -> list[tuple[str, str]]:
    return [
        (r["Name"], r["Type"])
        for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    ]


def test_create_upsert_delete(route53, zone):
    name = "www." + zone["Name"]
    info = change(route53, zone["Id"], ("CREATE", a_record(name, "10.0.0.1")))["ChangeInfo"]
    assert info["Status"] == "PENDING"
    change(route53, zone["Id"], ("UPSERT", a_record(name, "10.0.0.2", "10.0.0.3", ttl=60)))
    record = next(
        r
        for r in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        if r["Type"] == "A"
    )
    assert record["TTL"] == 60 and sorted(v["Value"] for v in record["ResourceRecords"]) == [
        "10.0.0.2",
        "10.0.0.3",
    ]
    assert route53.get_hosted_zone(Id=zone["Id"])["HostedZone"]["ResourceRecordSetCount"] == 3
    change(route53, zone["Id"], ("DELETE", a_record(name, "10.0.0.3", "10.0.0.2", ttl=60)))
    assert (name, "A") not in names(route53, zone["Id"])


def test_change_goes_insync(route53, zone):
    info = change(route53, zone["Id"], ("CREATE", a_record("s." + zone["Name"], "10.0.0.1")))["ChangeInfo"]
    deadline = time.monotonic() + 10
    while route53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] != "INSYNC":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with pytest.raises(ClientError) as caught:
        route53.get_change(Id="CNOSUCHCHANGE")
    assert caught.value.response["Error"]["Code"] == "NoSuchChange"


def test_create_of_existing_and_delete_of_missing(route53, zone):
    name = "dup." + zone["Name"]
    change(route53, zone["Id"], ("CREATE", a_record(name, "10.0.0.1")))
    error = batch_error(route53, zone["Id"], ("CREATE", a_record(name, "10.0.0.1")))
    assert error.response["Error"]["Message"] == (
        f"[Tried to create resource record set [name='{name}', type='A'] but it already exists]"
    )
    error = batch_error(route53, zone["Id"], ("DELETE", a_record("gone." + zone["Name"], "10.0.0.1")))
    assert "but it was not found" in error.response["Error"]["Message"]
    error = batch_error(route53, zone["Id"], ("DELETE", a_record(name, "10.0.0.9")))
    assert error.response["Error"]["Message"] == (
        f"[Tried to delete resource record set [name='{name}', type='A'] but the values provided do not match "
        "the current values]"
    )


def test_batch_is_atomic(route53, zone):
    before = names(route53, zone["Id"])
    error = batch_error(
        route53,
        zone["Id"],
        ("CREATE", a_record("one." + zone["Name"], "10.0.0.1")),
        ("CREATE", a_record("two." + zone["Name"], "300.1.1.1")),
    )
    assert "ARRDATAIllegalIPv4Address" in error.response["Error"]["Message"]
    assert names(route53, zone["Id"]) == before


def test_batch_sees_its_own_changes(route53, zone):
    name = "swap." + zone["Name"]
    change(route53, zone["Id"], ("CREATE", a_record(name, "10.0.0.1")))
    change(
        route53,
        zone["Id"],
        ("DELETE", a_record(name, "10.0.0.1")),
        (
            "CREATE",
            {"Name": name, "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "target.example.com"}]},
        ),
    )
    assert (name, "CNAME") in names(route53, zone["Id"])


@pytest.mark.parametrize(
    ("rtype", "value"),
    [
        ("AAAA", "2001:db8::1"),
        ("MX", "10 mail.example.com"),
        ("TXT", '"v=spf1 -all"'),
        ("SRV", "1 10 5269 xmpp.example.com"),
        ("CAA", '0 issue "amazon.com"'),
        ("NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.'),
        ("PTR", "host.example.com"),
        ("SPF", '"v=spf1 -all"'),
        ("DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"),
        ("SSHFP", "1 1 123456789abcdef67890123456789abcdef67890"),
        ("TLSA", "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"),
        ("HTTPS", '1 . alpn="h2"'),
    ],
)
def test_record_types(route53, zone, rtype, value):
    name = f"{rtype.lower()}.{zone['Name']}"
    change(
        route53,
        zone["Id"],
        ("CREATE", {"Name": name, "Type": rtype, "TTL": 300, "ResourceRecords": [{"Value": value}]}),
    )
    assert (name, rtype) in names(route53, zone["Id"])


@pytest.mark.parametrize(
    ("rtype", "value"), [("AAAA", "1.2.3.4"), ("MX", "mail.example.com"), ("CAA", "nonsense")]
)
def test_bad_values(route53, zone, rtype, value):
    error = batch_error(
        route53,
        zone["Id"],
        (
            "CREATE",
            {"Name": "bad." + zone["Name"], "Type": rtype, "TTL": 300, "ResourceRecords": [{"Value": value}]},
        ),
    )
    assert error.response["Error"]["Message"].startswith("[Invalid Resource Record: 'FATAL problem:")


def test_cname_rules(route53, zone):
    cname = {
        "Name": zone["Name"],
        "Type": "CNAME",
        "TTL": 60,
        "ResourceRecords": [{"Value": "x.example.com"}],
    }
    error = batch_error(route53, zone["Id"], ("CREATE", cname))
    assert "is not permitted at apex" in error.response["Error"]["Message"]
    name = "both." + zone["Name"]
    change(route53, zone["Id"], ("CREATE", a_record(name, "10.0.0.1")))
    error = batch_error(route53, zone["Id"], ("CREATE", {**cname, "Name": name}))
    assert "conflicting RRSet of type A" in error.response["Error"]["Message"]


def test_name_outside_zone(route53, zone):
    error = batch_error(route53, zone["Id"], ("CREATE", a_record("www.elsewhere.test.", "10.0.0.1")))
    assert (
        error.response["Error"]["Message"]
        == f"[RRSet with DNS name www.elsewhere.test. is not permitted in zone {zone['Name']}]"
    )


def test_apex_soa_and_ns_stay(route53, zone):
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    soa = next(r for r in records if r["Type"] == "SOA")
    error = batch_error(route53, zone["Id"], ("DELETE", soa))
    assert "exactly one SOA" in error.response["Error"]["Message"]


def test_routing_policy_needs_set_identifier(route53, zone):
    with pytest.raises(ClientError) as caught:
        change(route53, zone["Id"], ("CREATE", a_record("w." + zone["Name"], "10.0.0.1", Weight=10)))
    assert caught.value.response["Error"]["Code"] == "InvalidInput"


def test_listing_order_and_paging(route53, zone):
    z = zone["Name"]
    change(
        route53,
        zone["Id"],
        ("CREATE", a_record("b." + z, "10.0.0.1")),
        ("CREATE", a_record("a." + z, "10.0.0.1")),
        ("CREATE", a_record("x.a." + z, "10.0.0.1")),
        ("CREATE", {"Name": "*." + z, "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"w"'}]}),
        ("CREATE", a_record("w." + z, "10.0.0.1", SetIdentifier="one", Weight=1)),
        ("CREATE", a_record("w." + z, "10.0.0.2", SetIdentifier="two", Weight=1)),
    )
    listed = names(route53, zone["Id"])
    assert listed == [
        (z, "NS"), (z, "SOA"), ("\\052." + z, "TXT"), ("a." + z, "A"), ("x.a." + z, "A"), ("b." + z, "A"),
        ("w." + z, "A"), ("w." + z, "A"),
    ]  # fmt: skip
    page = route53.list_resource_record_sets(
        HostedZoneId=zone["Id"], StartRecordName="a." + z, StartRecordType="A", MaxItems="2"
    )
    assert [r["Name"] for r in page["ResourceRecordSets"]] == ["a." + z, "x.a." + z]
    assert page["IsTruncated"] and page["NextRecordName"] == "b." + z and page["NextRecordType"] == "A"
    page = route53.list_resource_record_sets(
        HostedZoneId=zone["Id"], StartRecordName="b." + z, StartRecordType="A", MaxItems="2"
    )
    assert page["NextRecordIdentifier"] == "two"
    last = route53.list_resource_record_sets(
        HostedZoneId=zone["Id"], StartRecordName="w." + z, StartRecordType="A", StartRecordIdentifier="two"
    )
    assert [r["SetIdentifier"] for r in last["ResourceRecordSets"]] == ["two"] and not last["IsTruncated"]
    every = [
        r
        for p in route53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone["Id"], PaginationConfig={"PageSize": 3}
        )
        for r in p["ResourceRecordSets"]
    ]
    assert len(every) == 8


def test_alias_to_a_record_of_the_zone_must_exist(route53, zone):
    z = zone["Name"]
    alias = {
        "Name": "a." + z,
        "Type": "A",
        "AliasTarget": {"HostedZoneId": zone["Id"], "DNSName": "target." + z, "EvaluateTargetHealth": False},
    }
    error = batch_error(route53, zone["Id"], ("CREATE", alias))
    assert error.response["Error"]["Message"] == (
        f"[Tried to create an alias that targets target.{z}, type A in zone {zone['Id']}, but that target was not found]"
    )
    outside = {**alias, "AliasTarget": {**alias["AliasTarget"], "DNSName": "www.elsewhere.org"}}
    error = batch_error(route53, zone["Id"], ("CREATE", outside))
    assert "does not lie within the target zone" in error.response["Error"]["Message"]
    # The target may come in the same batch.
    change(route53, zone["Id"], ("CREATE", a_record("target." + z, "192.0.2.5")), ("CREATE", alias))
