"""Route 53 Resolver: endpoints take addresses from their subnets; a FORWARD rule associated with
a VPC makes Overcast's DNS server forward matching queries to the rule's target (a small DNS
server on loopback) and return its answer; DNS Firewall rule groups block, override and allow
in priority order; query logging writes each answered query to CloudWatch Logs; configs,
policies, tags, paging and the errors for bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid

import boto3
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, free_port


@pytest.fixture(scope="module")
def dns_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(dns_port):
    # A server of its own: firewall rules apply to every query its DNS server answers.
    instance = Server("--ephemeral", "--quiet", env={"OVERCAST_DNS_ADDRESS": f"127.0.0.1:{dns_port}"})
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def clients(server):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda name: session.client(name, endpoint_url=server.endpoint)


@pytest.fixture(scope="module")
def resolver(clients):
    return clients("route53resolver")


@pytest.fixture(scope="module")
def network(clients):
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        for cidr in ("10.20.1.0/24", "10.20.2.0/24")
    ]
    group = ec2.create_security_group(GroupName="resolver", Description="dns", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


class Upstream:
    """A tiny authoritative DNS server on loopback (UDP): every A question under its domain is
    answered with one address."""

    def __init__(self, domain: str, address: str) -> None:
        self.domain = domain
        self.address = address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            self.seen.append(question.name.to_text())
            if question.rdtype == dns.rdatatype.A and question.name.to_text().endswith(self.domain):
                reply.answer.append(dns.rrset.from_text(question.name, 42, "IN", "A", self.address))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()


def _query(port: int, name: str, rtype: str = "A") -> dns.message.Message:
    message = dns.message.make_query(name, dns.rdatatype.from_text(rtype))
    return dns.query.tcp(message, "127.0.0.1", port=port, timeout=5)


def _values(response: dns.message.Message) -> list[str]:
    return sorted(item.to_text() for rrset in response.answer for item in rrset)


def _code(failure: pytest.ExceptionInfo) -> str:
    return failure.value.response["Error"]["Code"]


def _endpoint(resolver, network, direction: str = "OUTBOUND", **extra) -> dict:
    return resolver.create_resolver_endpoint(
        CreatorRequestId=uuid.uuid4().hex,
        Name="ep",
        SecurityGroupIds=[network["group"]],
        Direction=direction,
        IpAddresses=[
            {"SubnetId": network["subnets"][0]},
            {"SubnetId": network["subnets"][1], "Ip": "10.20.2.50"},
        ],
        **extra,
    )["ResolverEndpoint"]


def test_endpoint_takes_addresses_from_its_subnets(clients, resolver, network):
    created = _endpoint(resolver, network, Tags=[{"Key": "team", "Value": "dns"}])
    assert created["Status"] == "CREATING" and created["Id"].startswith("rslvr-out-")
    assert created["HostVPCId"] == network["vpc"] and created["IpAddressCount"] == 2
    endpoint = resolver.get_resolver_endpoint(ResolverEndpointId=created["Id"])["ResolverEndpoint"]
    assert endpoint["Status"] == "OPERATIONAL"
    ips = resolver.list_resolver_endpoint_ip_addresses(ResolverEndpointId=created["Id"])["IpAddresses"]
    by_subnet = {ip["SubnetId"]: ip["Ip"] for ip in ips}
    assert (
        by_subnet[network["subnets"][0]].startswith("10.20.1.")
        and by_subnet[network["subnets"][1]] == "10.20.2.50"
    )
    assert int(by_subnet[network["subnets"][0]].rsplit(".", 1)[1]) >= 4  # AWS keeps the first four
    # Each address is a network interface of the endpoint in its subnet, as AWS makes them.
    ec2 = clients("ec2")
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [network["vpc"]]}])[
        "NetworkInterfaces"
    ]
    mine = {e["PrivateIpAddress"]: e for e in enis if created["Id"] in e.get("Description", "")}
    assert set(mine) == set(by_subnet.values())
    assert all(e["Groups"][0]["GroupId"] == network["group"] for e in mine.values())
    # The address is taken now; another endpoint asking for it is refused.
    with pytest.raises(ClientError) as failure:
        _endpoint(resolver, network)
    assert _code(failure) == "ResourceExistsException"
    added = resolver.associate_resolver_endpoint_ip_address(
        ResolverEndpointId=created["Id"], IpAddress={"SubnetId": network["subnets"][0]}
    )["ResolverEndpoint"]
    assert added["IpAddressCount"] == 3
    resolver.disassociate_resolver_endpoint_ip_address(
        ResolverEndpointId=created["Id"], IpAddress={"Ip": "10.20.2.50"}
    )
    assert (
        resolver.get_resolver_endpoint(ResolverEndpointId=created["Id"])["ResolverEndpoint"]["IpAddressCount"]
        == 2
    )
    listed = resolver.list_resolver_endpoints(Filters=[{"Name": "HostVPCId", "Values": [network["vpc"]]}])
    assert created["Id"] in [e["Id"] for e in listed["ResolverEndpoints"]]
    tags = resolver.list_tags_for_resource(ResourceArn=created["Arn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "dns"}]
    for bad, code in (
        ({"IpAddresses": [{"SubnetId": "subnet-0000000000000000f"}] * 2}, "InvalidParameterException"),
        ({"SecurityGroupIds": ["sg-0000000000000000f"]}, "InvalidParameterException"),
        (
            {
                "IpAddresses": [
                    {"SubnetId": network["subnets"][0], "Ip": "10.99.0.9"},
                    {"SubnetId": network["subnets"][1]},
                ]
            },
            "InvalidParameterException",
        ),
    ):
        arguments = {
            "CreatorRequestId": uuid.uuid4().hex,
            "SecurityGroupIds": [network["group"]],
            "Direction": "INBOUND",
            "IpAddresses": [{"SubnetId": s} for s in network["subnets"]],
            **bad,
        }
        with pytest.raises(ClientError) as failure:
            resolver.create_resolver_endpoint(**arguments)
        assert _code(failure) == code, bad
    with pytest.raises(ClientError) as failure:
        resolver.get_resolver_endpoint(ResolverEndpointId="rslvr-out-0000000000000000f")
    assert _code(failure) == "ResourceNotFoundException"
    deleted = resolver.delete_resolver_endpoint(ResolverEndpointId=created["Id"])["ResolverEndpoint"]
    assert deleted["Status"] == "DELETING"
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [network["vpc"]]}])[
        "NetworkInterfaces"
    ]
    assert not [e for e in enis if created["Id"] in e.get("Description", "")]


def test_forward_rule_is_applied_by_the_dns_server(resolver, network, dns_port):
    domain = f"corp{uuid.uuid4().hex[:6]}.example."
    upstream = Upstream(domain, "192.0.2.77")
    try:
        endpoint = _endpoint(resolver, network)
        with pytest.raises(ClientError) as failure:  # a FORWARD rule needs targets
            resolver.create_resolver_rule(
                CreatorRequestId=uuid.uuid4().hex,
                RuleType="FORWARD",
                DomainName=domain,
                ResolverEndpointId=endpoint["Id"],
            )
        assert _code(failure) == "InvalidParameterException"
        rule = resolver.create_resolver_rule(
            CreatorRequestId=uuid.uuid4().hex,
            Name="corp",
            RuleType="FORWARD",
            DomainName=domain.rstrip("."),
            TargetIps=[{"Ip": "127.0.0.1", "Port": upstream.port}],
            ResolverEndpointId=endpoint["Id"],
        )["ResolverRule"]
        assert rule["DomainName"] == domain and rule["TargetIps"][0]["Port"] == upstream.port
        # Not yet associated: the DNS server does not forward.
        assert _query(dns_port, f"db.{domain}").rcode() != dns.rcode.NOERROR or not upstream.seen
        association = resolver.associate_resolver_rule(
            ResolverRuleId=rule["Id"], VPCId=network["vpc"], Name="a"
        )["ResolverRuleAssociation"]
        assert association["Status"] == "CREATING"
        got = resolver.get_resolver_rule_association(ResolverRuleAssociationId=association["Id"])
        assert got["ResolverRuleAssociation"]["Status"] == "COMPLETE"
        if shutil.which("dig"):
            out = subprocess.run(
                [
                    "dig",
                    "+short",
                    "+tries=2",
                    "+time=3",
                    "-p",
                    str(dns_port),
                    "@127.0.0.1",
                    f"db.{domain}",
                    "A",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.split()
            assert out == ["192.0.2.77"]
        response = _query(dns_port, f"api.{domain}")
        assert _values(response) == ["192.0.2.77"] and response.answer[0].ttl == 42
        assert f"api.{domain}" in upstream.seen
        with pytest.raises(ClientError) as failure:
            resolver.delete_resolver_rule(ResolverRuleId=rule["Id"])
        assert _code(failure) == "ResourceInUseException"
        with pytest.raises(ClientError) as failure:
            resolver.delete_resolver_endpoint(ResolverEndpointId=endpoint["Id"])
        assert _code(failure) == "InvalidRequestException"
        # A more specific SYSTEM rule takes its names back from the forward rule.
        system = resolver.create_resolver_rule(
            CreatorRequestId=uuid.uuid4().hex, RuleType="SYSTEM", DomainName=f"local.{domain}"
        )["ResolverRule"]
        resolver.associate_resolver_rule(ResolverRuleId=system["Id"], VPCId=network["vpc"])
        before = len(upstream.seen)
        _query(dns_port, f"x.local.{domain}")
        assert len(upstream.seen) == before
        resolver.disassociate_resolver_rule(ResolverRuleId=system["Id"], VPCId=network["vpc"])
        resolver.disassociate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=network["vpc"])
        before = len(upstream.seen)
        assert _values(_query(dns_port, f"api.{domain}")) == []
        assert len(upstream.seen) == before
        rules = resolver.list_resolver_rules(Filters=[{"Name": "DomainName", "Values": [domain]}])[
            "ResolverRules"
        ]
        assert [r["Id"] for r in rules] == [rule["Id"]]
        resolver.delete_resolver_rule(ResolverRuleId=rule["Id"])
        resolver.delete_resolver_rule(ResolverRuleId=system["Id"])
        resolver.delete_resolver_endpoint(ResolverEndpointId=endpoint["Id"])
    finally:
        upstream.close()


def test_firewall_blocks_overrides_and_allows_in_priority_order(clients, resolver, network, dns_port):
    route53 = clients("route53")
    s3 = clients("s3")
    zone_name = f"fw{uuid.uuid4().hex[:6]}.test."
    zone = route53.create_hosted_zone(Name=zone_name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"{n}.{zone_name}",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "198.51.100.1"}],
                    },
                }
                for n in ("bad", "ok.bad", "alias", "good", "alert")
            ]
            + [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"chain.{zone_name}",
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": f"bad.{zone_name}"}],
                    },
                }
            ]
        },
    )
    assert _values(_query(dns_port, f"bad.{zone_name}")) == ["198.51.100.1"]
    blocked = resolver.create_firewall_domain_list(CreatorRequestId=uuid.uuid4().hex, Name="blocked")[
        "FirewallDomainList"
    ]
    s3.create_bucket(Bucket="fw-lists")
    s3.put_object(Bucket="fw-lists", Key="blocked.txt", Body=f"bad.{zone_name}\n*.bad.{zone_name}\n".encode())
    imported = resolver.import_firewall_domains(
        FirewallDomainListId=blocked["Id"], Operation="REPLACE", DomainFileUrl="s3://fw-lists/blocked.txt"
    )
    assert imported["Status"] == "IMPORTING"
    listed = resolver.list_firewall_domains(FirewallDomainListId=blocked["Id"])["Domains"]
    assert listed == [f"*.bad.{zone_name}", f"bad.{zone_name}"]
    with pytest.raises(ClientError) as failure:
        resolver.import_firewall_domains(
            FirewallDomainListId=blocked["Id"], Operation="REPLACE", DomainFileUrl="s3://fw-lists/missing.txt"
        )
    assert _code(failure) == "ResourceNotFoundException"
    allowed = resolver.create_firewall_domain_list(CreatorRequestId=uuid.uuid4().hex, Name="allowed")[
        "FirewallDomainList"
    ]
    resolver.update_firewall_domains(
        FirewallDomainListId=allowed["Id"], Operation="ADD", Domains=[f"ok.bad.{zone_name}"]
    )
    overridden = resolver.create_firewall_domain_list(CreatorRequestId=uuid.uuid4().hex, Name="over")[
        "FirewallDomainList"
    ]
    resolver.update_firewall_domains(
        FirewallDomainListId=overridden["Id"], Operation="ADD", Domains=[f"alias.{zone_name}"]
    )
    alerting = resolver.create_firewall_domain_list(CreatorRequestId=uuid.uuid4().hex, Name="alert")[
        "FirewallDomainList"
    ]
    resolver.update_firewall_domains(
        FirewallDomainListId=alerting["Id"], Operation="ADD", Domains=[f"alert.{zone_name}"]
    )
    assert (
        resolver.get_firewall_domain_list(FirewallDomainListId=allowed["Id"])["FirewallDomainList"][
            "DomainCount"
        ]
        == 1
    )
    with pytest.raises(ClientError) as failure:
        resolver.update_firewall_domains(
            FirewallDomainListId=allowed["Id"], Operation="ADD", Domains=["bad domain!"]
        )
    assert _code(failure) == "ValidationException"

    group = resolver.create_firewall_rule_group(CreatorRequestId=uuid.uuid4().hex, Name="g")[
        "FirewallRuleGroup"
    ]
    common = {"FirewallRuleGroupId": group["Id"]}
    resolver.create_firewall_rule(
        CreatorRequestId=uuid.uuid4().hex,
        FirewallDomainListId=allowed["Id"],
        Priority=10,
        Action="ALLOW",
        Name="allow",
        **common,
    )
    resolver.create_firewall_rule(
        CreatorRequestId=uuid.uuid4().hex,
        FirewallDomainListId=alerting["Id"],
        Priority=15,
        Action="ALERT",
        Name="alert",
        **common,
    )
    resolver.create_firewall_rule(
        CreatorRequestId=uuid.uuid4().hex,
        FirewallDomainListId=blocked["Id"],
        Priority=20,
        Action="BLOCK",
        BlockResponse="NXDOMAIN",
        Name="block",
        **common,
    )
    created = resolver.batch_create_firewall_rule(
        CreateFirewallRuleEntries=[
            {
                "CreatorRequestId": uuid.uuid4().hex,
                "FirewallRuleGroupId": group["Id"],
                "FirewallDomainListId": overridden["Id"],
                "Priority": 30,
                "Action": "BLOCK",
                "BlockResponse": "OVERRIDE",
                "BlockOverrideDomain": f"good.{zone_name}",
                "BlockOverrideDnsType": "CNAME",
                "BlockOverrideTtl": 7,
                "Name": "override",
            },
            {
                "CreatorRequestId": uuid.uuid4().hex,
                "FirewallRuleGroupId": group["Id"],
                "FirewallDomainListId": overridden["Id"],
                "Priority": 40,
                "Action": "BLOCK",
                "Name": "no response",
            },
        ]
    )
    assert (
        len(created["CreatedFirewallRules"]) == 1
        and created["CreateErrors"][0]["Code"] == "ValidationException"
    )
    rules = resolver.list_firewall_rules(FirewallRuleGroupId=group["Id"])["FirewallRules"]
    assert [r["Priority"] for r in rules] == [10, 15, 20, 30]
    assert (
        resolver.get_firewall_rule_group(FirewallRuleGroupId=group["Id"])["FirewallRuleGroup"]["RuleCount"]
        == 4
    )
    association = resolver.associate_firewall_rule_group(
        CreatorRequestId=uuid.uuid4().hex,
        FirewallRuleGroupId=group["Id"],
        VpcId=network["vpc"],
        Priority=101,
        Name="fw",
        MutationProtection="ENABLED",
    )["FirewallRuleGroupAssociation"]
    with pytest.raises(ClientError) as failure:
        resolver.associate_firewall_rule_group(
            CreatorRequestId=uuid.uuid4().hex,
            FirewallRuleGroupId=group["Id"],
            VpcId=network["vpc"],
            Priority=200,
            Name="again",
        )
    assert _code(failure) == "ConflictException"

    assert _query(dns_port, f"bad.{zone_name}").rcode() == dns.rcode.NXDOMAIN
    assert _query(dns_port, f"x.bad.{zone_name}").rcode() == dns.rcode.NXDOMAIN
    # A name that is not listed, whose CNAME leads to one that is, is blocked too.
    assert _query(dns_port, f"chain.{zone_name}").rcode() == dns.rcode.NXDOMAIN
    assert _values(_query(dns_port, f"ok.bad.{zone_name}")) == ["198.51.100.1"]  # ALLOW comes first
    assert _values(_query(dns_port, f"alert.{zone_name}")) == ["198.51.100.1"]  # ALERT lets it through
    override = _query(dns_port, f"alias.{zone_name}")
    assert _values(override) == [f"good.{zone_name}"] and override.answer[0].ttl == 7
    assert _values(_query(dns_port, f"good.{zone_name}")) == ["198.51.100.1"]

    # A NODATA block answers NOERROR with nothing.
    resolver.update_firewall_rule(
        FirewallRuleGroupId=group["Id"], FirewallDomainListId=blocked["Id"], BlockResponse="NODATA"
    )
    nodata = _query(dns_port, f"bad.{zone_name}")
    assert nodata.rcode() == dns.rcode.NOERROR and nodata.answer == []

    with pytest.raises(ClientError) as failure:
        resolver.disassociate_firewall_rule_group(FirewallRuleGroupAssociationId=association["Id"])
    assert _code(failure) == "ValidationException"
    resolver.update_firewall_rule_group_association(
        FirewallRuleGroupAssociationId=association["Id"], MutationProtection="DISABLED"
    )
    with pytest.raises(ClientError) as failure:
        resolver.delete_firewall_rule_group(FirewallRuleGroupId=group["Id"])
    assert _code(failure) == "ConflictException"
    resolver.disassociate_firewall_rule_group(FirewallRuleGroupAssociationId=association["Id"])
    assert _values(_query(dns_port, f"bad.{zone_name}")) == ["198.51.100.1"]
    deleted = resolver.batch_delete_firewall_rule(
        DeleteFirewallRuleEntries=[
            {"FirewallRuleGroupId": group["Id"], "FirewallDomainListId": d["Id"]}
            for d in (allowed, alerting, blocked, overridden)
        ]
    )
    assert len(deleted["DeletedFirewallRules"]) == 4 and deleted["DeleteErrors"] == []
    resolver.delete_firewall_rule_group(FirewallRuleGroupId=group["Id"])
    resolver.delete_firewall_domain_list(FirewallDomainListId=blocked["Id"])


def test_query_logging_writes_each_answered_query(clients, resolver, network, dns_port):
    logs = clients("logs")
    route53 = clients("route53")
    group = f"/aws/resolver/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    with pytest.raises(ClientError) as failure:
        resolver.create_resolver_query_log_config(
            Name="missing", DestinationArn=arn + "-nope", CreatorRequestId=uuid.uuid4().hex
        )
    assert _code(failure) == "ResourceNotFoundException"
    config = resolver.create_resolver_query_log_config(
        Name="ql", DestinationArn=arn, CreatorRequestId=uuid.uuid4().hex
    )["ResolverQueryLogConfig"]
    s3 = clients("s3")
    s3.create_bucket(Bucket="resolver-query-logs")
    to_s3 = resolver.create_resolver_query_log_config(
        Name="ql-s3", DestinationArn="arn:aws:s3:::resolver-query-logs/dns", CreatorRequestId=uuid.uuid4().hex
    )["ResolverQueryLogConfig"]
    resolver.associate_resolver_query_log_config(
        ResolverQueryLogConfigId=to_s3["Id"], ResourceId=network["vpc"]
    )
    association = resolver.associate_resolver_query_log_config(
        ResolverQueryLogConfigId=config["Id"], ResourceId=network["vpc"]
    )["ResolverQueryLogConfigAssociation"]
    assert association["Status"] == "CREATING"
    assert (
        resolver.get_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"])[
            "ResolverQueryLogConfig"
        ]["AssociationCount"]
        == 1
    )
    zone_name = f"ql{uuid.uuid4().hex[:6]}.test."
    zone = route53.create_hosted_zone(Name=zone_name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"www.{zone_name}",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "203.0.113.5"}],
                    },
                }
            ]
        },
    )
    assert _values(_query(dns_port, f"www.{zone_name}")) == ["203.0.113.5"]
    deadline = time.monotonic() + 15
    lines: list[dict] = []
    while time.monotonic() < deadline and not lines:
        time.sleep(0.5)
        events = logs.filter_log_events(logGroupName=group)["events"]
        lines = [json.loads(e["message"]) for e in events if f"www.{zone_name}" in e["message"]]
    assert lines, "no query log line arrived"
    line = lines[0]
    assert (
        line["query_name"] == f"www.{zone_name}" and line["query_type"] == "A" and line["rcode"] == "NOERROR"
    )
    assert (
        line["vpc_id"] == network["vpc"]
        and line["account_id"] == "000000000000"
        and line["transport"] == "TCP"
    )
    assert line["answers"] == [{"Rdata": "203.0.113.5", "Type": "A", "Class": "IN"}]
    prefix = f"dns/AWSLogs/000000000000/vpcdnsquerylogs/{network['vpc']}/"
    keys: list[str] = []
    while time.monotonic() < deadline + 5 and not keys:
        keys = [
            o["Key"]
            for o in s3.list_objects_v2(Bucket="resolver-query-logs", Prefix=prefix).get("Contents", [])
        ]
        time.sleep(0.3)
    body = gzip.decompress(s3.get_object(Bucket="resolver-query-logs", Key=keys[0])["Body"].read()).decode()
    assert any(json.loads(x)["query_name"] == f"www.{zone_name}" for x in body.splitlines())
    resolver.disassociate_resolver_query_log_config(
        ResolverQueryLogConfigId=to_s3["Id"], ResourceId=network["vpc"]
    )
    with pytest.raises(ClientError) as failure:
        resolver.delete_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"])
    assert _code(failure) == "InvalidRequestException"
    listed = resolver.list_resolver_query_log_config_associations(
        Filters=[{"Name": "ResolverQueryLogConfigId", "Values": [config["Id"]]}]
    )
    assert (
        listed["TotalFilteredCount"] == 1
        and listed["ResolverQueryLogConfigAssociations"][0]["Status"] == "ACTIVE"
    )
    resolver.disassociate_resolver_query_log_config(
        ResolverQueryLogConfigId=config["Id"], ResourceId=network["vpc"]
    )
    resolver.delete_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"])


def test_configs_policies_outposts_and_paging(resolver, network):
    vpc = network["vpc"]
    default = resolver.get_resolver_config(ResourceId=vpc)["ResolverConfig"]
    assert default["AutodefinedReverse"] == "ENABLED" and default["Id"].startswith("rslvr-rc-")
    assert resolver.get_resolver_config(ResourceId=vpc)["ResolverConfig"]["Id"] == default["Id"]
    updated = resolver.update_resolver_config(ResourceId=vpc, AutodefinedReverseFlag="DISABLE")[
        "ResolverConfig"
    ]
    assert updated["AutodefinedReverse"] == "DISABLING"
    assert resolver.get_resolver_config(ResourceId=vpc)["ResolverConfig"]["AutodefinedReverse"] == "DISABLED"
    configs = {c["ResourceId"]: c for c in resolver.list_resolver_configs()["ResolverConfigs"]}
    assert configs[vpc]["AutodefinedReverse"] == "DISABLED" and configs[vpc]["Id"] == updated["Id"]
    assert {c["AutodefinedReverse"] for r, c in configs.items() if r != vpc} == {"ENABLED"}  # the default VPC
    assert (
        resolver.get_resolver_dnssec_config(ResourceId=vpc)["ResolverDNSSECConfig"]["ValidationStatus"]
        == "DISABLED"
    )
    resolver.update_resolver_dnssec_config(ResourceId=vpc, Validation="ENABLE")
    dnssec = resolver.list_resolver_dnssec_configs(Filters=[{"Name": "ResourceId", "Values": [vpc]}])
    assert [c["ValidationStatus"] for c in dnssec["ResolverDnssecConfigs"]] == ["ENABLED"]
    assert resolver.get_firewall_config(ResourceId=vpc)["FirewallConfig"]["FirewallFailOpen"] == "DISABLED"
    resolver.update_firewall_config(ResourceId=vpc, FirewallFailOpen="ENABLED")
    firewall = {
        c["ResourceId"]: c["FirewallFailOpen"] for c in resolver.list_firewall_configs()["FirewallConfigs"]
    }
    assert firewall[vpc] == "ENABLED"
    with pytest.raises(ClientError) as failure:
        resolver.get_resolver_config(ResourceId="vpc-0000000000000000f")
    assert _code(failure) == "ResourceNotFoundException"

    rule = resolver.create_resolver_rule(
        CreatorRequestId=uuid.uuid4().hex, RuleType="SYSTEM", DomainName="sys.example"
    )["ResolverRule"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "111122223333"},
                    "Action": "route53resolver:GetResolverRule",
                    "Resource": rule["Arn"],
                }
            ],
        }
    )
    assert (
        resolver.put_resolver_rule_policy(Arn=rule["Arn"], ResolverRulePolicy=policy)["ReturnValue"] is True
    )
    assert json.loads(resolver.get_resolver_rule_policy(Arn=rule["Arn"])["ResolverRulePolicy"]) == json.loads(
        policy
    )
    with pytest.raises(ClientError) as failure:
        resolver.create_resolver_rule(
            CreatorRequestId=rule["CreatorRequestId"], RuleType="SYSTEM", DomainName="x.example"
        )
    assert _code(failure) == "ResourceExistsException"

    with pytest.raises(ClientError) as failure:
        resolver.create_outpost_resolver(
            CreatorRequestId="o",
            Name="o",
            PreferredInstanceType="m5.large",
            OutpostArn="arn:aws:outposts:us-east-1:000000000000:outpost/op-0123456789abcdef0",
        )
    assert _code(failure) == "ResourceNotFoundException"
    assert resolver.list_outpost_resolvers()["OutpostResolvers"] == []
    with pytest.raises(ClientError) as failure:
        resolver.get_outpost_resolver(Id="rslvr-op-0000000000000000f")
    assert _code(failure) == "ResourceNotFoundException"
    types = resolver.list_firewall_rule_types()["FirewallRuleTypes"]
    assert {t["Value"] for t in types} == {"DGA", "DNS_TUNNELING", "DICTIONARY_DGA"}

    names = [f"page{i}" for i in range(5)]
    for name in names:
        resolver.create_firewall_rule_group(CreatorRequestId=uuid.uuid4().hex, Name=name)
    seen, token = [], None
    while True:
        page = resolver.list_firewall_rule_groups(MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["FirewallRuleGroups"]) <= 2
        seen += [g["Name"] for g in page["FirewallRuleGroups"]]
        token = page.get("NextToken")
        if not token:
            break
    assert set(names) <= set(seen)
    with pytest.raises(ClientError) as failure:
        resolver.list_firewall_rule_groups(NextToken="garbage")
    assert _code(failure) == "InvalidParameterException"
    with pytest.raises(ClientError) as failure:
        resolver.tag_resource(
            ResourceArn="arn:aws:route53resolver:us-east-1:000000000000:resolver-rule/rslvr-rr-nope",
            Tags=[{"Key": "a", "Value": "b"}],
        )
    assert _code(failure) == "ResourceNotFoundException"
    resolver.tag_resource(ResourceArn=rule["Arn"], Tags=[{"Key": "a", "Value": "b"}])
    resolver.untag_resource(ResourceArn=rule["Arn"], TagKeys=["a"])
    assert resolver.list_tags_for_resource(ResourceArn=rule["Arn"])["Tags"] == []


def test_a_rule_forwarding_to_overcast_itself_does_not_loop(resolver, network, dns_port):
    domain = f"self{uuid.uuid4().hex[:6]}.example."
    rule = resolver.create_resolver_rule(
        CreatorRequestId=uuid.uuid4().hex,
        RuleType="FORWARD",
        DomainName=domain,
        TargetIps=[{"Ip": "127.0.0.1", "Port": dns_port}],
    )["ResolverRule"]
    resolver.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=network["vpc"])
    try:
        started = time.monotonic()
        assert _query(dns_port, f"x.{domain}").rcode() == dns.rcode.SERVFAIL
        assert time.monotonic() - started < 1.5  # answered at once, not after a forward timing out
    finally:
        resolver.disassociate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=network["vpc"])
        resolver.delete_resolver_rule(ResolverRuleId=rule["Id"])
