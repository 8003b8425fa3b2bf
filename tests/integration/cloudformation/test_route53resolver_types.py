"""Route 53 Resolver's resource types: an outbound endpoint in two subnets, a FORWARD rule
through it associated with the VPC, a firewall domain list and rule group associated with the
VPC, and a query logging config to a log group associated with the VPC; updated in place (the
domain list's domains, the rule's name) and deleted with the stack."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

TEMPLATE = """
Parameters:
  Blocked: {Type: String, Default: bad.example.com}
  RuleName: {Type: String, Default: corp}
  Group: {Type: String}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.3.0.0/16}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.3.1.0/24}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.3.2.0/24}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: dns, VpcId: !Ref Vpc}
  Outbound:
    Type: AWS::Route53Resolver::ResolverEndpoint
    Properties:
      Direction: OUTBOUND
      Name: out
      SecurityGroupIds: [!GetAtt Sg.GroupId]
      IpAddresses: [{SubnetId: !Ref SubnetA}, {SubnetId: !Ref SubnetB}]
  Rule:
    Type: AWS::Route53Resolver::ResolverRule
    Properties:
      Name: !Ref RuleName
      RuleType: FORWARD
      DomainName: corp.example
      ResolverEndpointId: !Ref Outbound
      TargetIps: [{Ip: 192.0.2.10, Port: "53"}]
  RuleAssociation:
    Type: AWS::Route53Resolver::ResolverRuleAssociation
    Properties: {ResolverRuleId: !Ref Rule, VPCId: !Ref Vpc}
  Domains:
    Type: AWS::Route53Resolver::FirewallDomainList
    Properties:
      Domains: [!Ref Blocked]
  Rules:
    Type: AWS::Route53Resolver::FirewallRuleGroup
    Properties:
      FirewallRules:
        - {FirewallDomainListId: !Ref Domains, Priority: 1, Action: BLOCK, BlockResponse: NXDOMAIN}
  RulesInVpc:
    Type: AWS::Route53Resolver::FirewallRuleGroupAssociation
    Properties: {FirewallRuleGroupId: !Ref Rules, VpcId: !Ref Vpc, Priority: 101}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Ref Group}
  QueryLog:
    Type: AWS::Route53Resolver::ResolverQueryLoggingConfig
    Properties: {DestinationArn: !GetAtt Logs.Arn}
  QueryLogInVpc:
    Type: AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation
    Properties: {ResolverQueryLogConfigId: !Ref QueryLog, ResourceId: !Ref Vpc}
Outputs:
  Endpoint: {Value: !Ref Outbound}
  EndpointIps: {Value: !GetAtt Outbound.IpAddressCount}
  Rule: {Value: !Ref Rule}
  RuleArn: {Value: !GetAtt Rule.Arn}
  Association: {Value: !Ref RuleAssociation}
  Domains: {Value: !Ref Domains}
  Rules: {Value: !Ref Rules}
  RulesInVpc: {Value: !Ref RulesInVpc}
  QueryLog: {Value: !Ref QueryLog}
  QueryLogInVpc: {Value: !Ref QueryLogInVpc}
  Vpc: {Value: !Ref Vpc}
"""


def test_route53resolver_types(cfn, client, stack_name):
    resolver = client("route53resolver")
    parameters = [{"ParameterKey": "Group", "ParameterValue": f"/resolver/{uuid.uuid4().hex[:8]}"}]
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE, Parameters=parameters)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    endpoint = resolver.get_resolver_endpoint(ResolverEndpointId=out["Endpoint"])["ResolverEndpoint"]
    assert (
        endpoint["Direction"] == "OUTBOUND"
        and endpoint["HostVPCId"] == out["Vpc"]
        and out["EndpointIps"] == "2"
    )
    rule = resolver.get_resolver_rule(ResolverRuleId=out["Rule"])["ResolverRule"]
    assert (rule["Arn"], rule["DomainName"], rule["TargetIps"][0]["Port"]) == (
        out["RuleArn"],
        "corp.example.",
        53,
    )
    association = resolver.get_resolver_rule_association(ResolverRuleAssociationId=out["Association"])
    assert association["ResolverRuleAssociation"]["VPCId"] == out["Vpc"]
    assert resolver.list_firewall_domains(FirewallDomainListId=out["Domains"])["Domains"] == [
        "bad.example.com."
    ]
    rules = resolver.list_firewall_rules(FirewallRuleGroupId=out["Rules"])["FirewallRules"]
    assert [(r["Action"], r["BlockResponse"]) for r in rules] == [("BLOCK", "NXDOMAIN")]
    in_vpc = resolver.get_firewall_rule_group_association(FirewallRuleGroupAssociationId=out["RulesInVpc"])
    assert in_vpc["FirewallRuleGroupAssociation"]["VpcId"] == out["Vpc"]
    logged = resolver.get_resolver_query_log_config_association(
        ResolverQueryLogConfigAssociationId=out["QueryLogInVpc"]
    )
    assert logged["ResolverQueryLogConfigAssociation"]["ResolverQueryLogConfigId"] == out["QueryLog"]
    assert "QueryLogInVpc" in resources(cfn, stack_name)

    parameters = [
        *parameters,
        {"ParameterKey": "Blocked", "ParameterValue": "worse.example.com"},
        {"ParameterKey": "RuleName", "ParameterValue": "renamed"},
    ]
    cfn.update_stack(StackName=stack_name, TemplateBody=TEMPLATE, Parameters=parameters)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert resolver.list_firewall_domains(FirewallDomainListId=out["Domains"])["Domains"] == [
        "worse.example.com."
    ]
    assert resolver.get_resolver_rule(ResolverRuleId=out["Rule"])["ResolverRule"]["Name"] == "renamed"

    cfn.delete_stack(StackName=stack_name)
    stack = settle(cfn, stack["StackId"])
    assert stack["StackStatus"] == "DELETE_COMPLETE", stack.get("StackStatusReason")
    for call, arguments in (
        (resolver.get_resolver_rule, {"ResolverRuleId": out["Rule"]}),
        (resolver.get_resolver_endpoint, {"ResolverEndpointId": out["Endpoint"]}),
        (resolver.get_firewall_rule_group, {"FirewallRuleGroupId": out["Rules"]}),
        (resolver.get_resolver_query_log_config, {"ResolverQueryLogConfigId": out["QueryLog"]}),
    ):
        with pytest.raises(ClientError) as failure:
            call(**arguments)
        assert failure.value.response["Error"]["Code"] == "ResourceNotFoundException"
