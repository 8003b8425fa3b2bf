"""Cloud Map's resource types: a private DNS namespace in a VPC (its hosted zone created), an
HTTP namespace, a DNS service and an instance registered in it whose A record the zone then
holds; updated in place and deleted with the stack (the zone goes with the namespace)."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

TEMPLATE = """
Parameters:
  Domain: {Type: String}
  Address: {Type: String, Default: 10.2.0.5}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.2.0.0/16}
  Private:
    Type: AWS::ServiceDiscovery::PrivateDnsNamespace
    Properties:
      Name: !Ref Domain
      Vpc: !Ref Vpc
      Description: made by a stack
  Http:
    Type: AWS::ServiceDiscovery::HttpNamespace
    Properties:
      Name: !Sub "http-${Domain}"
  Api:
    Type: AWS::ServiceDiscovery::Service
    Properties:
      Name: api
      NamespaceId: !Ref Private
      DnsConfig:
        RoutingPolicy: MULTIVALUE
        DnsRecords: [{Type: A, TTL: 60}]
      HealthCheckCustomConfig: {FailureThreshold: 1}
  Node:
    Type: AWS::ServiceDiscovery::Instance
    Properties:
      ServiceId: !Ref Api
      InstanceId: node-1
      InstanceAttributes: {AWS_INSTANCE_IPV4: !Ref Address}
Outputs:
  Namespace: {Value: !Ref Private}
  Zone: {Value: !GetAtt Private.HostedZoneId}
  HttpArn: {Value: !GetAtt Http.Arn}
  Service: {Value: !Ref Api}
  ServiceArn: {Value: !GetAtt Api.Arn}
  Instance: {Value: !Ref Node}
"""


def _a_records(route53, zone_id: str, name: str) -> list[str]:
    return [
        value["Value"]
        for record in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        if record["Name"] == name and record["Type"] == "A"
        for value in record["ResourceRecords"]
    ]


def test_servicediscovery_types(cfn, client, stack_name):
    sd = client("servicediscovery", config=Config(inject_host_prefix=False))
    route53 = client("route53")
    domain = f"cm{uuid.uuid4().hex[:6]}.internal"
    parameters = [{"ParameterKey": "Domain", "ParameterValue": domain}]
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE, Parameters=parameters)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    namespace = sd.get_namespace(Id=out["Namespace"])["Namespace"]
    assert (namespace["Type"], namespace["Description"]) == ("DNS_PRIVATE", "made by a stack")
    assert out["Zone"] == namespace["Properties"]["DnsProperties"]["HostedZoneId"]
    assert out["HttpArn"].endswith(":namespace/" + out["HttpArn"].rsplit("/", 1)[-1])
    assert out["Instance"] == "node-1"
    assert sd.get_service(Id=out["Service"])["Service"]["Arn"] == out["ServiceArn"]
    assert _a_records(route53, out["Zone"], f"api.{domain}.") == ["10.2.0.5"]
    found = sd.discover_instances(NamespaceName=domain, ServiceName="api")["Instances"]
    assert [i["InstanceId"] for i in found] == ["node-1"]
    assert set(resources(cfn, stack_name)) == {"Vpc", "Private", "Http", "Api", "Node"}

    parameters = [*parameters, {"ParameterKey": "Address", "ParameterValue": "10.2.0.9"}]
    cfn.update_stack(StackName=stack_name, TemplateBody=TEMPLATE, Parameters=parameters)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert _a_records(route53, out["Zone"], f"api.{domain}.") == ["10.2.0.9"]

    cfn.delete_stack(StackName=stack_name)
    stack = settle(cfn, stack["StackId"])
    assert stack["StackStatus"] == "DELETE_COMPLETE", stack.get("StackStatusReason")
    with pytest.raises(ClientError) as failure:
        sd.get_namespace(Id=out["Namespace"])
    assert failure.value.response["Error"]["Code"] == "NamespaceNotFound"
    with pytest.raises(ClientError):
        route53.get_hosted_zone(Id=out["Zone"])
