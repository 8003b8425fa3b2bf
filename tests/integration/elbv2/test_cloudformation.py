"""The AWS::ElasticLoadBalancingV2::* resource types and AWS::ElasticLoadBalancing::LoadBalancer
deployed by CloudFormation: the stack's ALB answers through its rules, a Lambda function behind
it, then an update and a delete."""

from __future__ import annotations

import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle
from tests.integration.elbv2.helpers import default_network, url

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  SubnetA: {Type: String}
  SubnetB: {Type: String}
  VpcId: {Type: String}
  Greeting: {Type: String, Default: hello}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          def handler(event, context):
              return {"statusCode": 200, "body": "lambda " + event["path"]}
  Permission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Fn.Arn
      Action: lambda:InvokeFunction
      Principal: elasticloadbalancing.amazonaws.com
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Subnets: [!Ref SubnetA, !Ref SubnetB]
      LoadBalancerAttributes:
        - {Key: idle_timeout.timeout_seconds, Value: '30'}
      Tags: [{Key: team, Value: web}]
  FnGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    DependsOn: Permission
    Properties:
      TargetType: lambda
      Targets: [{Id: !GetAtt Fn.Arn}]
      TargetGroupAttributes:
        - {Key: lambda.multi_value_headers.enabled, Value: 'false'}
  IpGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Protocol: HTTP
      Port: '8080'
      VpcId: !Ref VpcId
      TargetType: ip
      HealthCheckPath: /health
      HealthCheckIntervalSeconds: '10'
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Protocol: HTTP
      Port: 80
      DefaultActions:
        - Type: fixed-response
          FixedResponseConfig: {StatusCode: '200', ContentType: text/plain, MessageBody: !Ref Greeting}
  FnRule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 10
      Conditions: [{Field: path-pattern, PathPatternConfig: {Values: [/fn/*]}}]
      Actions: [{Type: forward, TargetGroupArn: !Ref FnGroup}]
  RedirectRule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 20
      Conditions: [{Field: path-pattern, Values: [/old]}]
      Actions:
        - Type: redirect
          RedirectConfig: {Protocol: HTTPS, Port: 443, Path: /new, StatusCode: HTTP_302}
  Classic:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      Subnets: [!Ref SubnetA]
      Listeners: [{LoadBalancerPort: '80', InstancePort: '8080', Protocol: HTTP}]
      HealthCheck: {Target: 'HTTP:8080/health', Interval: '10', Timeout: '5', HealthyThreshold: '3', UnhealthyThreshold: '2'}
      CrossZone: true
      LBCookieStickinessPolicy: [{PolicyName: sticky, CookieExpirationPeriod: '60'}]
Outputs:
  Name: {Value: !GetAtt Alb.LoadBalancerName}
  Dns: {Value: !GetAtt Alb.DNSName}
  Zone: {Value: !GetAtt Alb.CanonicalHostedZoneID}
  Full: {Value: !GetAtt Alb.LoadBalancerFullName}
  Group: {Value: !Ref FnGroup}
  Rule: {Value: !GetAtt FnRule.RuleArn}
  ClassicDns: {Value: !GetAtt Classic.DNSName}
  ClassicName: {Value: !Ref Classic}
"""


def test_stack_deploys_an_alb_that_answers(client, endpoint):
    cfn, elb, classic = client("cloudformation"), client("elbv2"), client("elb")
    vpc, subnets = default_network(client("ec2"))
    stack = f"alb-{uuid.uuid4().hex[:8]}"
    parameters = [
        {"ParameterKey": "SubnetA", "ParameterValue": subnets[0]},
        {"ParameterKey": "SubnetB", "ParameterValue": subnets[1]},
        {"ParameterKey": "VpcId", "ParameterValue": vpc},
    ]
    cfn.create_stack(
        StackName=stack, TemplateBody=TEMPLATE, Parameters=parameters, Capabilities=["CAPABILITY_IAM"]
    )
    found = settle(cfn, stack, timeout=120)
    reasons = [
        e.get("ResourceStatusReason")
        for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
        if "FAILED" in e["ResourceStatus"]
    ]
    assert found["StackStatus"] == "CREATE_COMPLETE", reasons
    out = outputs(found)
    assert out["Zone"] == "Z35SXDOTRQ7X7K"
    assert out["Full"].startswith("app/" + out["Name"] + "/")
    base = url(endpoint, out["Name"])
    assert requests.get(base + "anything").text == "hello"
    assert requests.get(base + "fn/x").text == "lambda /fn/x"
    redirect = requests.get(base + "old", allow_redirects=False)
    assert (redirect.status_code, redirect.headers["Location"]) == (302, "https://127.0.0.1/new")
    lb = elb.describe_load_balancers(Names=[out["Name"]])["LoadBalancers"][0]
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    }
    assert attributes["idle_timeout.timeout_seconds"] == "30"
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert {"Key": "team", "Value": "web"} in tags
    health = elb.describe_target_health(TargetGroupArn=out["Group"])["TargetHealthDescriptions"]
    assert len(health) == 1
    described = classic.describe_load_balancers(LoadBalancerNames=[out["ClassicName"]])[
        "LoadBalancerDescriptions"
    ][0]
    assert described["DNSName"] == out["ClassicDns"]
    assert described["HealthCheck"]["Target"] == "HTTP:8080/health"
    assert described["Policies"]["LBCookieStickinessPolicies"] == [
        {"PolicyName": "sticky", "CookieExpirationPeriod": 60}
    ]
    assert classic.describe_load_balancer_attributes(LoadBalancerName=out["ClassicName"])[
        "LoadBalancerAttributes"
    ]["CrossZoneLoadBalancing"] == {"Enabled": True}
    assert set(resources(cfn, stack)) >= {
        "Alb",
        "FnGroup",
        "IpGroup",
        "Listener",
        "FnRule",
        "RedirectRule",
        "Classic",
    }

    cfn.update_stack(
        StackName=stack,
        TemplateBody=TEMPLATE,
        Parameters=[*parameters, {"ParameterKey": "Greeting", "ParameterValue": "updated"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    found = settle(cfn, stack, timeout=120)
    assert found["StackStatus"] == "UPDATE_COMPLETE", found.get("StackStatusReason")
    assert requests.get(base + "anything").text == "updated"

    cfn.delete_stack(StackName=stack)
    assert settle(cfn, found["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as error:
        elb.describe_load_balancers(Names=[out["Name"]])
    assert error.value.response["Error"]["Code"] == "LoadBalancerNotFound"
    with pytest.raises(ClientError):
        classic.describe_load_balancers(LoadBalancerNames=[out["ClassicName"]])
