"""Template text to dicts (YAML short forms, JSON), the structural checks, references and the
dependency order; intrinsic functions and conditions evaluated."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.cloudformation import template as tpl
from overcast.services.cloudformation.engine import creation_order
from overcast.services.cloudformation.intrinsics import NO_VALUE, UNKNOWN, Evaluator, TemplateError


def test_yaml_short_forms():
    document = tpl.parse(
        """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  A:
    Type: AWS::SQS::Queue
    Properties:
      Name: !Sub '${AWS::StackName}-a'
      Arn: !GetAtt B.Arn
      Long: !GetAtt [B, Arn]
      Pick: !Select [0, !Split [',', 'x,y']]
      Cond: !If [C, !Ref B, !Ref 'AWS::NoValue']
      Both: !And [!Condition C, !Not [!Equals [a, b]]]
"""
    )
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"  # no timestamp
    props = document["Resources"]["A"]["Properties"]
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-a"}
    assert props["Arn"] == {"Fn::GetAtt": ["B", "Arn"]}
    assert props["Long"] == {"Fn::GetAtt": ["B", "Arn"]}
    assert props["Pick"] == {"Fn::Select": [0, {"Fn::Split": [",", "x,y"]}]}
    assert props["Cond"] == {"Fn::If": ["C", {"Ref": "B"}, {"Ref": "AWS::NoValue"}]}
    assert props["Both"] == {"Fn::And": [{"Condition": "C"}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "Template format error: JSON not well-formed."),
        ("Resources: [", "Template format error: YAML not well-formed."),
        ("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", "Template format error: YAML not well-formed."),
        ("- a list", "Template format error: unsupported structure."),
        (
            "a: &x [1]\nb: *x\n",
            "Template format error: YAML not well-formed. (line 2, aliases are not supported)",
        ),
        (
            '{"a": ' * 3000 + "1" + "}" * 3000,
            "Template format error: the template nests deeper than 64 levels.",
        ),
        (
            "a:" + " {a:" * 100 + " 1" + "}" * 100,
            "Template format error: the template nests deeper than 64 levels.",
        ),
    ],
)
def test_unparseable(text, message):
    with pytest.raises(ServiceError) as refused:
        tpl.parse(text)
    assert refused.value.code == "ValidationError"
    assert refused.value.message.startswith(message)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"Resources": {}}, "At least one Resources member must be defined."),
        ({"Resources": {"A": {"Type": "X"}}, "Bogus": 1}, "Invalid template property or properties [Bogus]"),
        ({"Resources": {"a-b": {"Type": "X"}}}, "Resource name a-b is non alphanumeric."),
        (
            {"Resources": {"A": {"Properties": {}}}},
            "[/Resources/A] Every Resources object must contain a Type member.",
        ),
        (
            {"Resources": {"A": {"Type": "X", "DependsOn": "B"}}},
            "Unresolved resource dependencies [B] in the Resources block of the template",
        ),
        (
            {"Resources": {"A": {"Type": "X", "DependsOn": [["B"]]}}},
            "[/Resources/A/DependsOn] DependsOn must be a string or a list of strings",
        ),
        (
            {"Resources": {"A": {"Type": "X", "DeletionPolicy": ["Retain"]}}},
            "[/Resources/A/DeletionPolicy] Unrecognized DeletionPolicy ['Retain']",
        ),
        (
            {"Resources": {"A": {"Type": "X"}}, "Conditions": {"C": [1]}},
            "[/Conditions/C] Every Condition member must be an object.",
        ),
        (
            {"Resources": {"A": {"Type": "X", "Properties": {"P": {"Fn::Sub": "${Missing.Arn}"}}}}},
            "Unresolved resource dependencies [Missing] in the Resources block of the template",
        ),
    ],
)
def test_structural_checks(document, message):
    with pytest.raises(ServiceError) as refused:
        tpl.check(document)
    assert refused.value.message == f"Template format error: {message}"


def test_references_and_order():
    resources = {
        "Table": {"Type": "T"},
        "Role": {"Type": "R", "Properties": {"Resource": {"Fn::GetAtt": ["Table", "Arn"]}}},
        "Function": {
            "Type": "F",
            "Properties": {
                "Role": {"Fn::Sub": "${Role.Arn}"},
                "Env": {"Fn::Sub": ["${X}", {"X": {"Ref": "Table"}}]},
            },
        },
        "Queue": {"Type": "Q", "DependsOn": ["Function"]},
        "Lone": {"Type": "L", "Properties": {"Text": {"Fn::Sub": "${AWS::Region}-${!Literal}"}}},
    }
    assert creation_order(resources) == [["Lone", "Table"], ["Role"], ["Function"], ["Queue"]]
    resources["Table"]["DependsOn"] = "Queue"
    with pytest.raises(TemplateError) as cycle:
        creation_order(resources)
    assert "Circular dependency between resources" in str(cycle.value)


def evaluator(**overrides) -> Evaluator:
    states = {"Queue": ("https://q/queue", {"Arn": "arn:aws:sqs:us-east-1:1:queue", "QueueName": "queue"})}

    def ref(name):
        if name not in states:
            return UNKNOWN
        return states[name][0]

    def get_att(name, attribute):
        if name not in states:
            return UNKNOWN
        return states[name][1][attribute]

    options = {
        "parameters": {"Env": "prod", "Zones": ["a", "b"]},
        "pseudo": {"AWS::Region": "eu-west-1", "AWS::StackName": "s", "AWS::AccountId": "1"},
        "mappings": {"M": {"prod": {"Size": "L"}}},
        "conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Never": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
        "ref": ref,
        "get_att": get_att,
        "import_value": lambda name: f"imported-{name}",
    }
    options.update(overrides)
    return Evaluator(**options)


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ({"Ref": "Env"}, "prod"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "arn:aws:sqs:us-east-1:1:queue"),
        ({"Fn::GetAtt": "Queue.QueueName"}, "queue"),
        ({"Fn::Sub": "${AWS::StackName}-${Queue.QueueName}-${!Env}-${Env}"}, "s-queue-${Env}-prod"),
        ({"Fn::Sub": ["${A}/${B}", {"A": {"Ref": "Env"}, "B": "x"}]}, "prod/x"),
        ({"Fn::Join": [":", [1, True, "c"]]}, "1:true:c"),
        ({"Fn::Join": ["", {"Ref": "Zones"}]}, "ab"),
        ({"Fn::Select": ["1", {"Ref": "Zones"}]}, "b"),
        ({"Fn::FindInMap": ["M", {"Ref": "Env"}, "Size"]}, "L"),
        ({"Fn::FindInMap": ["M", "dev", "Size", {"DefaultValue": "S"}]}, "S"),
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ({"Fn::Cidr": ["192.168.0.0/24", 2, 6]}, ["192.168.0.0/26", "192.168.0.64/26"]),
        ({"Fn::If": ["IsProd", "big", "small"]}, "big"),
        ({"Fn::If": ["Never", "big", {"Ref": "AWS::NoValue"}]}, NO_VALUE),
        ({"Fn::Or": [{"Condition": "Never"}, {"Fn::Equals": ["a", "a"]}]}, True),
        ({"Fn::ImportValue": {"Fn::Sub": "${Env}-x"}}, "imported-prod-x"),
        ({"Fn::Length": [1, 2]}, 2),
        ({"Fn::ToJsonString": {"a": [1]}}, '{"a":[1]}'),
        ({"List": [1, {"Ref": "AWS::NoValue"}], "Gone": {"Ref": "AWS::NoValue"}}, {"List": [1]}),
        ({"Fn::Join": ["-", ["a", {"Ref": "Later"}]]}, UNKNOWN),
        ({"Fn::Sub": "${Later.Arn}"}, UNKNOWN),
    ],
)
def test_intrinsics(fragment, expected):
    assert evaluator().resolve(fragment) == expected


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ({"Fn::Join": ["-"]}, "every Fn::Join object requires two parameters"),
        ({"Fn::Select": [5, ["a"]]}, "Fn::Select cannot select nonexistent value at index 5"),
        ({"Fn::FindInMap": ["M", "dev", "Size"]}, "Unable to get mapping for M::dev::Size"),
        ({"Fn::If": ["Nope", 1, 2]}, "Unresolved dependencies [Nope]"),
        ({"Fn::Sub": 5}, "One or more Fn::Sub intrinsic functions don't specify expected arguments"),
    ],
)
def test_intrinsic_errors(fragment, message):
    with pytest.raises(TemplateError) as refused:
        evaluator().resolve(fragment)
    assert message in str(refused.value)
