"""AWS::Lambda::EventSourceMapping's tags: the template's, on the mapping, changed in place on
update."""

from __future__ import annotations

import json

from tests.integration.cloudformation.conftest import outputs, settle

from .helpers import ROLE, unique


def template(tags: dict[str, str]) -> str:
    return json.dumps(
        {
            "Resources": {
                "Queue": {"Type": "AWS::SQS::Queue"},
                "Function": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Runtime": "python3.12",
                        "Handler": "index.handler",
                        "Role": ROLE,
                        "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
                    },
                },
                "Mapping": {
                    "Type": "AWS::Lambda::EventSourceMapping",
                    "Properties": {
                        "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                        "FunctionName": {"Ref": "Function"},
                        "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
                    },
                },
            },
            "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Mapping", "EventSourceMappingArn"]}}},
        }
    )


def test_mapping_tags_through_cloudformation(client):
    cfn, lam = client("cloudformation"), client("lambda")
    stack = unique("esm-stack")
    cfn.create_stack(StackName=stack, TemplateBody=template({"my": "tag", "team": "a"}))
    created = settle(cfn, stack, timeout=120)
    assert created["StackStatus"] == "CREATE_COMPLETE", created.get("StackStatusReason")
    arn = outputs(created)["Arn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"my": "tag", "team": "a"}
    cfn.update_stack(StackName=stack, TemplateBody=template({"my": "other"}))
    updated = settle(cfn, stack, timeout=120)
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    tags = lam.list_tags(Resource=arn)["Tags"]
    assert tags == {"my": "other"}
    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 0.5, "MaxAttempts": 240}
    )
