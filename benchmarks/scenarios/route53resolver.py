"""Route 53 Resolver's hot read: GetResolverRule of a FORWARD rule, among 50 rules (what a
tool's refresh asks for each rule it manages). The setup makes a VPC with two subnets and a
security group, an outbound endpoint in them, and the rules."""

from __future__ import annotations

from scenarios import AwsCall, ClientFactory, Scenario

#: The benchmark rule's CreatorRequestId; the setup puts the rule's id in the request.
CREATOR = "bench-resolver-rule-00"
_GET_RULE: dict[str, str] = {"ResolverRuleId": ""}


def _rules(client: ClientFactory) -> None:
    resolver = client("route53resolver")
    found = resolver.list_resolver_rules(Filters=[{"Name": "CreatorRequestId", "Values": [CREATOR]}])
    if found["ResolverRules"]:
        _GET_RULE["ResolverRuleId"] = found["ResolverRules"][0]["Id"]
        return
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)
    ]
    group = ec2.create_security_group(GroupName="bench-resolver", Description="dns", VpcId=vpc)["GroupId"]
    endpoint = resolver.create_resolver_endpoint(
        CreatorRequestId="bench-resolver-endpoint",
        SecurityGroupIds=[group],
        Direction="OUTBOUND",
        IpAddresses=[{"SubnetId": s} for s in subnets],
    )["ResolverEndpoint"]["Id"]
    for i in range(50):
        rule = resolver.create_resolver_rule(
            CreatorRequestId=f"bench-resolver-rule-{i:02d}",
            Name=f"corp-{i}",
            RuleType="FORWARD",
            DomainName=f"corp{i}.example.com",
            TargetIps=[{"Ip": "10.0.0.2", "Port": 53}],
            ResolverEndpointId=endpoint,
        )["ResolverRule"]
        if i == 0:
            _GET_RULE["ResolverRuleId"] = rule["Id"]


SCENARIOS = (
    Scenario(
        name="route53resolver-get-resolver-rule",
        summary="Route 53 Resolver GetResolverRule of one FORWARD rule among 50",
        setup=_rules,
        requests=(AwsCall("route53resolver", "GetResolverRule", _GET_RULE),),
    ),
)
