"""Module expansion: a module resource becomes its fragment's resources, renamed after the
module's logical id, with the module's parameters and its own references substituted."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.cloudformation.registry import expand_modules

FRAGMENT = {
    "Parameters": {"Name": {"Type": "String"}, "Retention": {"Type": "Number", "Default": 7}},
    "Resources": {
        "Group": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Sub": "/app/${Name}"},
                "RetentionInDays": {"Ref": "Retention"},
            },
        },
        "Filter": {
            "Type": "AWS::Logs::MetricFilter",
            "DependsOn": "Group",
            "Properties": {
                "LogGroupName": {"Ref": "Group"},
                "FilterPattern": "ERROR",
                "Note": {"Fn::Sub": "${Group.Arn} of ${Name}"},
                "Target": {"Fn::GetAtt": ["Group", "Arn"]},
            },
        },
    },
}


def fragments(name: str):
    return FRAGMENT if name == "Acme::Logs::App::MODULE" else None


def test_a_module_becomes_its_resources():
    document = {
        "Resources": {
            "Api": {"Type": "Acme::Logs::App::MODULE", "Properties": {"Name": "api"}},
            "Other": {"Type": "AWS::SQS::Queue"},
        }
    }
    expanded = expand_modules(document, fragments)["Resources"]
    assert set(expanded) == {"ApiGroup", "ApiFilter", "Other"}
    assert expanded["ApiGroup"]["Properties"] == {
        "LogGroupName": {"Fn::Sub": "/app/api"},
        "RetentionInDays": 7,
    }
    properties = expanded["ApiFilter"]["Properties"]
    assert properties["LogGroupName"] == {"Ref": "ApiGroup"}
    assert properties["Note"] == {"Fn::Sub": "${ApiGroup.Arn} of api"}
    assert properties["Target"] == {"Fn::GetAtt": ["ApiGroup", "Arn"]}
    assert expanded["ApiFilter"]["DependsOn"] == ["ApiGroup"]


def test_a_template_without_modules_is_untouched():
    document = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    assert expand_modules(document, fragments) is document


@pytest.mark.parametrize(
    "resource",
    [
        {"Type": "Acme::Logs::App::MODULE"},  # Name has no default
        {"Type": "Acme::No::Such::MODULE", "Properties": {}},
    ],
)
def test_a_module_that_cannot_expand_is_refused(resource):
    with pytest.raises(ServiceError) as refused:
        expand_modules({"Resources": {"M": resource}}, fragments)
    assert refused.value.code == "ValidationError"
