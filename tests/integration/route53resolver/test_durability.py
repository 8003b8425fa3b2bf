"""Resolver's state survives kill -9: after the restart the DNS server again forwards by the
associated rule and blocks by the associated firewall rule group, without any new call."""

from __future__ import annotations

import time
import uuid

import boto3
import dns.rcode

from tests.conftest import Server, free_port
from tests.integration.route53resolver.test_resolver import Upstream, _query, _values


def _client(server: Server, name: str):
    return boto3.client(
        name,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_rules_and_firewall_apply_after_kill_and_restart(tmp_path):
    data = str(tmp_path / "data")
    dns_port = free_port()
    env = {"OVERCAST_DNS_ADDRESS": f"127.0.0.1:{dns_port}"}
    domain = f"keep{uuid.uuid4().hex[:6]}.example."
    upstream = Upstream(domain, "192.0.2.99")
    first = Server("--data-dir", data, "--quiet", env=env)
    try:
        ec2, resolver = _client(first, "ec2"), _client(first, "route53resolver")
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        rule = resolver.create_resolver_rule(
            CreatorRequestId=uuid.uuid4().hex,
            RuleType="FORWARD",
            DomainName=domain,
            TargetIps=[{"Ip": "127.0.0.1", "Port": upstream.port}],
        )["ResolverRule"]
        resolver.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=vpc)
        listed = resolver.create_firewall_domain_list(CreatorRequestId=uuid.uuid4().hex, Name="l")[
            "FirewallDomainList"
        ]
        resolver.update_firewall_domains(
            FirewallDomainListId=listed["Id"], Operation="ADD", Domains=[f"bad.{domain}"]
        )
        group = resolver.create_firewall_rule_group(CreatorRequestId=uuid.uuid4().hex, Name="g")[
            "FirewallRuleGroup"
        ]
        resolver.create_firewall_rule(
            CreatorRequestId=uuid.uuid4().hex,
            FirewallRuleGroupId=group["Id"],
            FirewallDomainListId=listed["Id"],
            Priority=1,
            Action="BLOCK",
            BlockResponse="NXDOMAIN",
            Name="block",
        )
        resolver.associate_firewall_rule_group(
            CreatorRequestId=uuid.uuid4().hex,
            FirewallRuleGroupId=group["Id"],
            VpcId=vpc,
            Priority=101,
            Name="a",
        )
        assert _values(_query(dns_port, f"www.{domain}")) == ["192.0.2.99"]
    finally:
        first.stop(kill=True)
    second = Server("--data-dir", data, "--quiet", env=env)
    try:
        deadline = time.monotonic() + 10
        while True:  # the DNS server binds just after the API answers health checks
            try:
                _query(dns_port, "probe.test.")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert _values(_query(dns_port, f"api.{domain}")) == ["192.0.2.99"]
        assert _query(dns_port, f"bad.{domain}").rcode() == dns.rcode.NXDOMAIN
        resolver = _client(second, "route53resolver")
        assert resolver.get_resolver_rule(ResolverRuleId=rule["Id"])["ResolverRule"]["DomainName"] == domain
    finally:
        second.stop()
        upstream.close()
