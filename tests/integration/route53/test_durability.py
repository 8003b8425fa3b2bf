"""Zones survive a restart, and the DNS server comes back with them: a server with zones in its
data dir answers DNS from the start."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import boto3
import dns.rcode

from tests.conftest import Server, free_port
from tests.integration.route53.conftest import a_record, answers, change, query


def test_zones_and_dns_survive_a_restart(tmp_path):
    dns_port = free_port()
    first = Server(
        "--quiet", "--data-dir", str(tmp_path / "data"), env={"OVERCAST_DNS_ADDRESS": f"127.0.0.1:{dns_port}"}
    )
    try:
        route53 = boto3.client(
            "route53",
            endpoint_url=first.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        name = f"keep{uuid.uuid4().hex[:6]}.test."
        zone_id = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
        change(route53, zone_id, ("CREATE", a_record("www." + name, "192.0.2.77")))
        assert answers(dns_port, "www." + name) == ["192.0.2.77"]
    finally:
        first.stop()
    # Started again (on another port): the zones come back from the data dir and the DNS
    # server answers from them at once.
    second_port = free_port()
    second = Server(
        "--quiet",
        "--data-dir",
        str(tmp_path / "data"),
        env={"OVERCAST_DNS_ADDRESS": f"127.0.0.1:{second_port}"},
    )
    try:
        # The DNS socket is bound as the server starts; health may answer a moment before it.
        deadline = time.monotonic() + 10
        while True:
            try:
                found = answers(second_port, "www." + name)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert found == ["192.0.2.77"]
        with urllib.request.urlopen(f"{second.endpoint}/_overcast/route53/dns", timeout=5) as reply:
            assert json.loads(reply.read())["address"] == f"127.0.0.1:{second_port}"
    finally:
        second.stop()


def test_reset_forgets_zones_and_the_dns_server_follows(tmp_path):
    dns_port = free_port()
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_DNS_ADDRESS": f"127.0.0.1:{dns_port}"})
    try:
        route53 = boto3.client(
            "route53",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        old = route53.create_hosted_zone(Name="before-reset.test", CallerReference="r1")["HostedZone"]["Id"]
        change(route53, old, ("CREATE", a_record("www.before-reset.test.", "192.0.2.1")))
        assert answers(dns_port, "www.before-reset.test.") == ["192.0.2.1"]
        request = urllib.request.Request(
            f"{server.endpoint}/_overcast/state/reset",
            method="POST",
            data=b"",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        assert (
            query(dns_port, "www.before-reset.test.").rcode() == dns.rcode.REFUSED
        )  # no zone of that name now
        new = route53.create_hosted_zone(Name="after-reset.test", CallerReference="r2")["HostedZone"]["Id"]
        change(route53, new, ("CREATE", a_record("www.after-reset.test.", "192.0.2.2")))
        assert answers(dns_port, "www.after-reset.test.") == ["192.0.2.2"]
    finally:
        server.stop()
