"""Route 53's and ACM's resource types: a zone with a record set, a record set group and a
health check, and a DNS-validated certificate whose validation records CloudFormation writes
into the zone (so the stack completes with the certificate ISSUED); updated in place and
deleted with the stack."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

TEMPLATE = """
Parameters:
  Domain: {Type: String}
  Address: {Type: String, Default: 192.0.2.1}
Resources:
  Zone:
    Type: AWS::Route53::HostedZone
    Properties:
      Name: !Ref Domain
      HostedZoneConfig: {Comment: made by a stack}
      HostedZoneTags: [{Key: team, Value: blue}]
  Web:
    Type: AWS::Route53::RecordSet
    Properties:
      HostedZoneId: !Ref Zone
      Name: !Sub "www.${Domain}"
      Type: A
      TTL: "60"
      ResourceRecords: [!Ref Address]
  Group:
    Type: AWS::Route53::RecordSetGroup
    Properties:
      HostedZoneName: !Sub "${Domain}."
      RecordSets:
        - {Name: !Sub "api.${Domain}", Type: CNAME, TTL: "300", ResourceRecords: [!Sub "www.${Domain}"]}
        - Name: !Sub "alias.${Domain}"
          Type: A
          AliasTarget: {HostedZoneId: !Ref Zone, DNSName: !Sub "www.${Domain}"}
    DependsOn: Web
  Check:
    Type: AWS::Route53::HealthCheck
    Properties:
      HealthCheckConfig: {Type: TCP, IPAddress: 127.0.0.1, Port: 9, RequestInterval: 30, FailureThreshold: 3}
      HealthCheckTags: [{Key: purpose, Value: test}]
  Cert:
    Type: AWS::CertificateManager::Certificate
    Properties:
      DomainName: !Sub "www.${Domain}"
      SubjectAlternativeNames: [!Ref Domain]
      ValidationMethod: DNS
      DomainValidationOptions:
        - {DomainName: !Sub "www.${Domain}", HostedZoneId: !Ref Zone}
        - {DomainName: !Ref Domain, HostedZoneId: !Ref Zone}
Outputs:
  ZoneId: {Value: !Ref Zone}
  NameServers: {Value: !Join [",", !GetAtt Zone.NameServers]}
  Web: {Value: !Ref Web}
  Check: {Value: !GetAtt Check.HealthCheckId}
  Cert: {Value: !Ref Cert}
"""


def test_route53_and_certificate_types(cfn, client, stack_name):
    route53, acm = client("route53"), client("acm")
    domain = f"cfn{uuid.uuid4().hex[:6]}.test"
    parameters = [{"ParameterKey": "Domain", "ParameterValue": domain}]
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE, Parameters=parameters)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    zone_id = out["ZoneId"]
    zone = route53.get_hosted_zone(Id=zone_id)
    assert zone["HostedZone"]["Config"]["Comment"] == "made by a stack"
    assert out["NameServers"].split(",") == zone["DelegationSet"]["NameServers"]
    assert out["Web"] == f"www.{domain}"
    records = {
        (r["Name"], r["Type"]): r
        for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    }
    assert records[(f"www.{domain}.", "A")]["ResourceRecords"] == [{"Value": "192.0.2.1"}]
    assert (f"api.{domain}.", "CNAME") in records and (f"alias.{domain}.", "A") in records
    validation = [key for key in records if key[1] == "CNAME" and key[0].startswith("_")]
    assert len(validation) == 2
    detail = acm.describe_certificate(CertificateArn=out["Cert"])["Certificate"]
    assert detail["Status"] == "ISSUED"
    check = route53.get_health_check(HealthCheckId=out["Check"])["HealthCheck"]
    assert check["HealthCheckConfig"]["Type"] == "TCP"
    tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)["ResourceTagSet"][
        "Tags"
    ]
    assert tags == [{"Key": "team", "Value": "blue"}]
    assert set(resources(cfn, stack_name)) == {"Zone", "Web", "Group", "Check", "Cert"}

    parameters = [*parameters, {"ParameterKey": "Address", "ParameterValue": "192.0.2.99"}]
    cfn.update_stack(StackName=stack_name, TemplateBody=TEMPLATE, Parameters=parameters)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    records = {
        (r["Name"], r["Type"]): r
        for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    }
    assert records[(f"www.{domain}.", "A")]["ResourceRecords"] == [{"Value": "192.0.2.99"}]

    # The validation records CloudFormation wrote stay in the zone, as on AWS: they go first.
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [{"Action": "DELETE", "ResourceRecordSet": records[key]} for key in validation]
        },
    )
    cfn.delete_stack(StackName=stack_name)
    stack = settle(cfn, stack["StackId"])
    assert stack["StackStatus"] == "DELETE_COMPLETE", stack.get("StackStatusReason")
    with pytest.raises(ClientError):
        route53.get_hosted_zone(Id=zone_id)
    with pytest.raises(ClientError):
        acm.describe_certificate(CertificateArn=out["Cert"])
