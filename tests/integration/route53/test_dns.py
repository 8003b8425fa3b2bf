"""The DNS server answers from the hosted zones, over UDP and TCP, as `dig` and a Python
resolver see it: SOA/NS, wildcards, CNAME chains, aliases, TTLs, NXDOMAIN and NODATA with the
zone's SOA, routing policies per query, and Overcast's own names."""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import time
import uuid

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest
from botocore.exceptions import ClientError

from tests.integration.route53.conftest import a_record, answers, change, query


def test_apex_soa_ns_and_a_record(route53, zone, dns_port):
    change(route53, zone["Id"], ("CREATE", a_record("www." + zone["Name"], "192.0.2.10", ttl=123)))
    response = query(dns_port, "www." + zone["Name"])
    assert response.flags & dns.flags.AA
    assert [(r.ttl, [i.to_text() for i in r]) for r in response.answer] == [(123, ["192.0.2.10"])]
    servers = route53.get_hosted_zone(Id=zone["Id"])["DelegationSet"]["NameServers"]
    assert answers(dns_port, zone["Name"], "NS") == sorted(s + "." for s in servers)
    assert answers(dns_port, zone["Name"], "SOA")[0].startswith(
        servers[0] + ". awsdns-hostmaster.amazon.com."
    )


def test_nxdomain_and_nodata_carry_the_soa(route53, zone, dns_port):
    change(route53, zone["Id"], ("CREATE", a_record("host." + zone["Name"], "192.0.2.1")))
    missing = query(dns_port, "missing." + zone["Name"])
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert [r.rdtype for r in missing.authority] == [dns.rdatatype.SOA]
    nodata = query(dns_port, "host." + zone["Name"], "AAAA")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert [r.rdtype for r in nodata.authority] == [dns.rdatatype.SOA]
    # A name with records only below it exists (an empty non-terminal): NODATA, not NXDOMAIN.
    change(route53, zone["Id"], ("CREATE", a_record("a.b." + zone["Name"], "192.0.2.2")))
    assert query(dns_port, "b." + zone["Name"]).rcode() == dns.rcode.NOERROR


def test_wildcards(route53, zone, dns_port):
    change(
        route53,
        zone["Id"],
        ("CREATE", a_record("*." + zone["Name"], "192.0.2.50")),
        ("CREATE", a_record("exact." + zone["Name"], "192.0.2.51")),
    )
    assert answers(dns_port, "anything." + zone["Name"]) == ["192.0.2.50"]
    assert answers(dns_port, "deep.er." + zone["Name"]) == ["192.0.2.50"]
    assert answers(dns_port, "exact." + zone["Name"]) == ["192.0.2.51"]
    # Below an existing name the wildcard of the zone does not apply (RFC 4592).
    assert query(dns_port, "x.exact." + zone["Name"]).rcode() == dns.rcode.NXDOMAIN


def test_cname_chain_and_alias(route53, zone, dns_port):
    z = zone["Name"]
    change(
        route53,
        zone["Id"],
        ("CREATE", a_record("origin." + z, "192.0.2.7")),
        (
            "CREATE",
            {"Name": "mid." + z, "Type": "CNAME", "TTL": 30, "ResourceRecords": [{"Value": "origin." + z}]},
        ),
        (
            "CREATE",
            {"Name": "top." + z, "Type": "CNAME", "TTL": 30, "ResourceRecords": [{"Value": "mid." + z}]},
        ),
        (
            "CREATE",
            {
                "Name": "alias." + z,
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": zone["Id"],
                    "DNSName": "origin." + z,
                    "EvaluateTargetHealth": False,
                },
            },
        ),
        (
            "CREATE",
            {
                "Name": z,
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": zone["Id"],
                    "DNSName": "origin." + z,
                    "EvaluateTargetHealth": False,
                },
            },
        ),
    )
    response = query(dns_port, "top." + z)
    chain = [(r.name.to_text(), dns.rdatatype.to_text(r.rdtype)) for r in response.answer]
    assert chain == [("top." + z, "CNAME"), ("mid." + z, "CNAME"), ("origin." + z, "A")]
    assert answers(dns_port, "alias." + z) == ["192.0.2.7"]
    # The zone apex can be an alias (where it cannot be a CNAME).
    assert answers(dns_port, z) == ["192.0.2.7"]


def test_alias_to_aws_endpoints_resolves_to_overcast(route53, zone, dns_port):
    z = zone["Name"]
    targets = {
        "site.": ("Z3AQBSTGFYJSTF", "s3-website-us-east-1.amazonaws.com"),
        "cdn.": ("Z2FDTNDATAQYW2", "d111111abcdef8.cloudfront.net"),
        "api.": ("Z1UJRXOUMOOFQ8", "abc123.execute-api.us-east-1.amazonaws.com"),
        "lb.": ("Z35SXDOTRQ7X7K", "my-lb-123.us-east-1.elb.amazonaws.com"),
    }
    change(
        route53,
        zone["Id"],
        *[
            (
                "CREATE",
                {
                    "Name": prefix + z,
                    "Type": "A",
                    "AliasTarget": {"HostedZoneId": hz, "DNSName": target, "EvaluateTargetHealth": False},
                },
            )
            for prefix, (hz, target) in targets.items()
        ],
    )
    for prefix in targets:
        assert answers(dns_port, prefix + z) == ["127.0.0.1"], prefix


def test_overcast_names(dns_port):
    for name in (
        "bucket.s3.localhost.localstack.cloud.",
        "abc.execute-api.us-east-1.amazonaws.com.",
        "000000000000.dkr.ecr.us-east-1.amazonaws.com.",
        "db.abc.us-east-1.rds.amazonaws.com.",
    ):
        assert answers(dns_port, name) == ["127.0.0.1"], name
    assert query(dns_port, "example.org.").rcode() == dns.rcode.REFUSED


def test_tcp(route53, zone, dns_port):
    values = [f'"{"x" * 200}-{i}"' for i in range(8)]
    change(
        route53,
        zone["Id"],
        (
            "CREATE",
            {
                "Name": "big." + zone["Name"],
                "Type": "TXT",
                "TTL": 60,
                "ResourceRecords": [{"Value": v} for v in values],
            },
        ),
    )
    udp = query(dns_port, "big." + zone["Name"], "TXT")
    assert udp.flags & dns.flags.TC  # 1,600 bytes do not fit a plain 512-byte UDP answer
    tcp = query(dns_port, "big." + zone["Name"], "TXT", tcp=True)
    assert len(tcp.answer[0]) == 8


def test_weighted_answers_split(route53, zone, dns_port):
    name = "w." + zone["Name"]
    change(
        route53,
        zone["Id"],
        ("CREATE", a_record(name, "192.0.2.1", SetIdentifier="heavy", Weight=3, ttl=0)),
        ("CREATE", a_record(name, "192.0.2.2", SetIdentifier="light", Weight=1, ttl=0)),
        ("CREATE", a_record(name, "192.0.2.3", SetIdentifier="never", Weight=0, ttl=0)),
    )
    seen = collections.Counter(answers(dns_port, name)[0] for _ in range(400))
    assert set(seen) == {"192.0.2.1", "192.0.2.2"}
    assert 200 < seen["192.0.2.1"] < 370


def test_multivalue_and_geolocation(route53, zone, dns_port):
    name = "mv." + zone["Name"]
    change(
        route53,
        zone["Id"],
        *[
            ("CREATE", a_record(name, f"192.0.2.{i}", SetIdentifier=f"m{i}", MultiValueAnswer=True))
            for i in range(1, 4)
        ],
        (
            "CREATE",
            a_record(
                "geo." + zone["Name"], "192.0.2.80", SetIdentifier="us", GeoLocation={"CountryCode": "US"}
            ),
        ),
        (
            "CREATE",
            a_record(
                "geo." + zone["Name"], "192.0.2.81", SetIdentifier="default", GeoLocation={"CountryCode": "*"}
            ),
        ),
    )
    assert answers(dns_port, name) == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    assert answers(dns_port, "geo." + zone["Name"]) == ["192.0.2.81"]


def test_test_dns_answer(route53, zone):
    change(route53, zone["Id"], ("CREATE", a_record("t." + zone["Name"], "192.0.2.9")))
    answer = route53.test_dns_answer(HostedZoneId=zone["Id"], RecordName="t." + zone["Name"], RecordType="A")
    assert answer["RecordData"] == ["192.0.2.9"] and answer["ResponseCode"] == "NOERROR"
    missing = route53.test_dns_answer(
        HostedZoneId=zone["Id"], RecordName="nope." + zone["Name"], RecordType="A"
    )
    assert missing["ResponseCode"] == "NXDOMAIN" and missing["RecordData"] == []


def test_cidr_routing(route53, zone, dns_port):
    collection = route53.create_cidr_collection(
        Name=f"c-{uuid.uuid4().hex[:6]}", CallerReference=uuid.uuid4().hex
    )["Collection"]
    route53.change_cidr_collection(
        Id=collection["Id"],
        Changes=[{"LocationName": "loopback", "Action": "PUT", "CidrList": ["127.0.0.0/8"]}],
    )
    name = "ip." + zone["Name"]
    change(
        route53,
        zone["Id"],
        (
            "CREATE",
            a_record(
                name,
                "192.0.2.90",
                SetIdentifier="lo",
                CidrRoutingConfig={"CollectionId": collection["Id"], "LocationName": "loopback"},
            ),
        ),
        (
            "CREATE",
            a_record(
                name,
                "192.0.2.91",
                SetIdentifier="rest",
                CidrRoutingConfig={"CollectionId": collection["Id"], "LocationName": "*"},
            ),
        ),
    )
    assert answers(dns_port, name) == ["192.0.2.90"]
    blocks = route53.list_cidr_blocks(CollectionId=collection["Id"])["CidrBlocks"]
    assert blocks == [{"CidrBlock": "127.0.0.0/8", "LocationName": "loopback"}]


@pytest.mark.skipif(shutil.which("dig") is None, reason="dig (dnsutils) is not installed")
def test_dig(route53, zone, dns_port):
    change(route53, zone["Id"], ("CREATE", a_record("dig." + zone["Name"], "192.0.2.33")))
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(dns_port), "+short", "dig." + zone["Name"], "A"],
        capture_output=True, text=True, timeout=10, check=True,
    ).stdout  # fmt: skip
    assert out.split() == ["192.0.2.33"]
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(dns_port), "+tcp", "+short", "dig." + zone["Name"], "A"],
        capture_output=True, text=True, timeout=10, check=True,
    ).stdout  # fmt: skip
    assert out.split() == ["192.0.2.33"]


def test_query_logging_writes_to_cloudwatch_logs(route53, r53_client, zone, dns_port):
    logs = r53_client("logs")
    group = f"/aws/route53/{zone['Name'].rstrip('.')}"
    logs.create_log_group(logGroupName=group)
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"route53.amazonaws.com"},'
        '"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:000000000000:log-group:/aws/route53/*"}]}'
    )
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    with pytest.raises(ClientError) as caught:
        route53.create_query_logging_config(HostedZoneId=zone["Id"], CloudWatchLogsLogGroupArn=arn)
    assert caught.value.response["Error"]["Code"] == "InsufficientCloudWatchLogsResourcePolicy"
    logs.put_resource_policy(policyName="route53-query-logging", policyDocument=policy)
    config = route53.create_query_logging_config(HostedZoneId=zone["Id"], CloudWatchLogsLogGroupArn=arn)[
        "QueryLoggingConfig"
    ]
    with pytest.raises(ClientError) as caught:
        route53.create_query_logging_config(HostedZoneId=zone["Id"], CloudWatchLogsLogGroupArn=arn)
    assert caught.value.response["Error"]["Code"] == "QueryLoggingConfigAlreadyExists"
    change(route53, zone["Id"], ("CREATE", a_record("logged." + zone["Name"], "192.0.2.44")))
    answers(dns_port, "logged." + zone["Name"])
    query(dns_port, "missing." + zone["Name"], tcp=True)
    deadline = time.monotonic() + 10
    while True:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        events = (
            logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"])["events"]
            if streams
            else []
        )
        if len(events) >= 2:
            break
        assert time.monotonic() < deadline, events
        time.sleep(0.2)
    assert streams[0]["logStreamName"].startswith(zone["Id"] + "/")
    first = events[0]["message"].split(" ")
    assert first[0] == "1.0" and first[2] == zone["Id"]
    assert first[3:6] == ["logged." + zone["Name"].rstrip("."), "A", "NOERROR"] and first[6] == "UDP"
    assert events[1]["message"].split(" ")[4:7] == ["A", "NXDOMAIN", "TCP"]
    route53.delete_query_logging_config(Id=config["Id"])


def test_traffic_policy_instance_answers_by_its_rule(route53, zone, dns_port):
    document = {
        "AWSPolicyFormatVersion": "2015-10-01",
        "RecordType": "A",
        "Endpoints": {
            "main": {"Type": "value", "Value": "192.0.2.60"},
            "spare": {"Type": "value", "Value": "192.0.2.61"},
        },
        "Rules": {
            "pick": {
                "RuleType": "weighted",
                "Items": [
                    {"EndpointReference": "main", "Weight": "1"},
                    {"EndpointReference": "spare", "Weight": "0"},
                ],
            }
        },
        "StartRule": "pick",
    }
    policy = route53.create_traffic_policy(Name=f"w-{uuid.uuid4().hex[:6]}", Document=json.dumps(document))[
        "TrafficPolicy"
    ]
    instance = route53.create_traffic_policy_instance(
        HostedZoneId=zone["Id"],
        Name="tp." + zone["Name"],
        TTL=30,
        TrafficPolicyId=policy["Id"],
        TrafficPolicyVersion=1,
    )["TrafficPolicyInstance"]
    assert instance["State"] == "Applied"
    assert {answers(dns_port, "tp." + zone["Name"])[0] for _ in range(20)} == {"192.0.2.60"}
    document["Rules"]["pick"]["RuleType"] = "geo"
    unsupported = route53.create_traffic_policy_version(Id=policy["Id"], Document=json.dumps(document))[
        "TrafficPolicy"
    ]
    updated = route53.update_traffic_policy_instance(
        Id=instance["Id"], TTL=30, TrafficPolicyId=policy["Id"], TrafficPolicyVersion=unsupported["Version"]
    )
    assert updated["TrafficPolicyInstance"]["State"] == "Failed"
    assert answers(dns_port, "tp." + zone["Name"]) == ["192.0.2.60"]  # the old record sets stay
