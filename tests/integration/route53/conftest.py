"""Route 53 fixtures: a server of its own whose DNS server listens on a known free port, a
client for it, a fresh hosted zone per test, and DNS queries over UDP and TCP."""

from __future__ import annotations

import uuid

import boto3
import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import pytest

from tests.conftest import Server, free_port


@pytest.fixture(scope="session")
def dns_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def r53_server(dns_port):
    instance = Server("--ephemeral", "--quiet", env={"OVERCAST_DNS_ADDRESS": f"127.0.0.1:{dns_port}"})
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def r53_client(r53_server):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )

    def make(service: str):
        return session.client(service, endpoint_url=r53_server.endpoint)

    return make


@pytest.fixture(scope="session")
def route53(r53_client):
    return r53_client("route53")


@pytest.fixture
def zone(route53) -> dict:
    """A fresh public zone: its bare id and name."""
    name = f"z{uuid.uuid4().hex[:8]}.test."
    created = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
    return {"Id": created["HostedZone"]["Id"].split("/")[-1], "Name": name}


def change(route53, zone_id: str, *changes: tuple[str, dict]) -> dict:
    return route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [{"Action": action, "ResourceRecordSet": record} for action, record in changes]
        },
    )


def a_record(name: str, *values: str, ttl: int = 300, **extra) -> dict:
    return {"Name": name, "Type": "A", "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values], **extra}


def query(port: int, name: str, rtype: str = "A", tcp: bool = False) -> dns.message.Message:
    """One DNS query; over UDP retried as a resolver would (a datagram may be lost, or the
    answer slow on a busy machine)."""
    message = dns.message.make_query(name, dns.rdatatype.from_text(rtype))
    if tcp:
        return dns.query.tcp(message, "127.0.0.1", port=port, timeout=5)
    for attempt in range(3):
        try:
            return dns.query.udp(message, "127.0.0.1", port=port, timeout=3)
        except (dns.exception.Timeout, BlockingIOError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def answers(port: int, name: str, rtype: str = "A") -> list[str]:
    response = query(port, name, rtype)
    return sorted(
        item.to_text()
        for rrset in response.answer
        for item in rrset
        if rrset.rdtype == dns.rdatatype.from_text(rtype)
    )
