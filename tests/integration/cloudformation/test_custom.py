"""Custom resources backed by a Lambda function: the function receives the request, PUTs
its answer to the presigned S3 ResponseURL with the cfn-response module, and its Data are
the resource's attributes; a FAILED answer fails the stack with the function's reason."""

from __future__ import annotations

import os

import pytest

from tests.integration.cloudformation.conftest import outputs, resources, settle

PROVIDER = """
Parameters:
  Fail: {Type: String, Default: "no"}
  Value: {Type: String, Default: one}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Provider:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Timeout: 30
      Code:
        ZipFile: |
          import cfnresponse
          def handler(event, context):
              props = event["ResourceProperties"]
              if props.get("Fail") == "yes" and event["RequestType"] != "Delete":
                  cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="asked to fail")
                  return
              physical = "thing-" + props["Value"]
              data = {"Upper": props["Value"].upper(), "Type": event["RequestType"]}
              cfnresponse.send(event, context, cfnresponse.SUCCESS, data, physical)
  Thing:
    Type: Custom::Thing
    Properties:
      ServiceToken: !GetAtt Provider.Arn
      Value: !Ref Value
      Fail: !Ref Fail
Outputs:
  Upper: {Value: !GetAtt Thing.Upper}
  Type: {Value: !GetAtt Thing.Type}
"""


def test_lambda_backed_custom_resource(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=PROVIDER, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack) == {"Upper": "ONE", "Type": "Create"}
    assert resources(cfn, stack_name)["Thing"]["PhysicalResourceId"] == "thing-one"

    cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "two"}],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack) == {"Upper": "TWO", "Type": "Update"}
    assert resources(cfn, stack_name)["Thing"]["PhysicalResourceId"] == "thing-two"

    cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[
            {"ParameterKey": "Fail", "ParameterValue": "yes"},
            {"ParameterKey": "Value", "UsePreviousValue": True},
        ],
    )
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    failed = [
        e
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"] == "UPDATE_FAILED"
    ]
    assert failed[0]["LogicalResourceId"] == "Thing"
    assert failed[0]["ResourceStatusReason"] == "asked to fail"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


SLOW = PROVIDER.replace(
    "              physical = ",
    "              import time\n              time.sleep(float(props.get('Sleep', 0)))\n              physical = ",
).replace("      Fail: !Ref Fail\n", "      Fail: !Ref Fail\n      Sleep: '7'\n")


def test_delete_while_creating_waits_for_the_creation(cfn, stack_name):
    stack_id = cfn.create_stack(StackName=stack_name, TemplateBody=SLOW, Capabilities=["CAPABILITY_IAM"])[
        "StackId"
    ]
    assert cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    cfn.delete_stack(StackName=stack_name)
    final = settle(cfn, stack_id, timeout=120)
    assert final["StackStatus"] == "DELETE_COMPLETE"
    statuses = [
        e["ResourceStatus"]
        for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        if e["LogicalResourceId"] == stack_name
    ]
    assert statuses[:3] == ["DELETE_COMPLETE", "DELETE_IN_PROGRESS", "CREATE_COMPLETE"]


HOST_ONLY_PROVIDER = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Provider:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Timeout: 30
      Code:
        ZipFile: |
          import http.client, json, urllib.parse
          def handler(event, context):
              # As the CDK's Node providers send: the URL's host alone (port 443), over TLS
              # with the certificate checked, the path and query as given.
              url = urllib.parse.urlsplit(event["ResponseURL"])
              body = json.dumps({
                  "Status": "SUCCESS", "PhysicalResourceId": "host-only",
                  "StackId": event["StackId"], "RequestId": event["RequestId"],
                  "LogicalResourceId": event["LogicalResourceId"],
                  "Data": {"Scheme": url.scheme, "Port": str(url.port),
                           "Flag": event["ResourceProperties"]["Flag"]},
              })
              connection = http.client.HTTPSConnection(url.hostname, timeout=10)
              connection.request("PUT", url.path + "?" + url.query, body, {"content-type": ""})
              connection.getresponse().read()
  Thing:
    Type: Custom::HostOnly
    Properties:
      ServiceToken: !GetAtt Provider.Arn
      Flag: true
Outputs:
  Scheme: {Value: !GetAtt Thing.Scheme}
  Port: {Value: !GetAtt Thing.Port}
  Flag: {Value: !GetAtt Thing.Flag}
"""


def _port_443_available() -> bool:
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as handle:
        return os.geteuid() == 0 or int(handle.read()) <= 443


def test_the_response_url_is_https_on_port_443(cfn, stack_name):
    if not _port_443_available():
        pytest.skip("this user cannot listen on port 443 (not root, ip_unprivileged_port_start > 443)")
    cfn.create_stack(StackName=stack_name, TemplateBody=HOST_ONLY_PROVIDER, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    # The URL names no port: the provider reached Overcast on 443, over verified TLS; and the
    # boolean property arrived as CloudFormation sends every scalar, a string.
    assert outputs(stack) == {"Scheme": "https", "Port": "None", "Flag": "true"}
