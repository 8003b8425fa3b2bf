"""Automation's `{{ }}` substitution and output selectors."""

from __future__ import annotations

import pytest

from overcast.services.ssm import templating

VALUES = {"Name": "web", "Ids": ["i-1", "i-2"], "step.Count": 3}


def _lookup(name: str):
    return VALUES.get(name, templating.missing())


def test_whole_references_keep_their_type_and_inline_ones_become_text():
    assert templating.substitute("{{ Ids }}", _lookup) == ["i-1", "i-2"]
    assert templating.substitute({"a": ["{{Name}}-x", "{{ step.Count }}"]}, _lookup) == {"a": ["web-x", 3]}
    assert templating.substitute("ids: {{ Ids }}", _lookup) == 'ids: ["i-1", "i-2"]'
    with pytest.raises(templating.Unresolved):
        templating.substitute("{{ Missing }}", _lookup)


def test_selectors():
    response = {
        "Reservations": [
            {"Instances": [{"InstanceId": "i-1", "Tags": [{"Key": "a"}]}, {"InstanceId": "i-2"}]}
        ]
    }
    assert templating.select(response, "$.Reservations[0].Instances[1].InstanceId") == ["i-2"]
    assert templating.select(response, "$.Reservations[0].Instances[*].InstanceId") == ["i-1", "i-2"]
    assert templating.select(response, "$..InstanceId") == ["i-1", "i-2"]
    assert templating.select(response, "$.Nothing") == []
    with pytest.raises(ValueError):
        templating.select(response, "Reservations")


def test_typed_outputs():
    assert templating.typed_output(["7"], "Integer") == 7
    assert templating.typed_output([["a", "b"]], "StringList") == ["a", "b"]
    assert templating.typed_output([True], "Boolean") is True
    assert templating.typed_output([{"k": 1}], "String") == '{"k": 1}'
    with pytest.raises(ValueError):
        templating.typed_output([], "String")
    assert templating.output_strings([1, "a"]) == ["1", "a"]
