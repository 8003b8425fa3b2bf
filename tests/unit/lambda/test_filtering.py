"""Event filtering patterns of event source mappings (EventBridge's grammar)."""

from __future__ import annotations

import importlib
import json

import pytest

from overcast.errors import ServiceError

# "lambda" is a keyword, so the module is imported by name.
filtering = importlib.import_module("overcast.services.lambda.filtering")
matches, matches_any = filtering.matches, filtering.matches_any
parse_criteria, sqs_view = filtering.parse_criteria, filtering.sqs_view


def criteria(*patterns: dict | str) -> dict:
    return {"Filters": [{"Pattern": p if isinstance(p, str) else json.dumps(p)} for p in patterns]}


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ({"a": ["x"]}, {"a": "x"}, True),
        ({"a": ["x"]}, {"a": "y"}, False),
        ({"a": ["x"]}, {}, False),
        ({"a": [1]}, {"a": 1.0}, True),
        ({"a": ["1"]}, {"a": 1}, False),
        ({"a": [None]}, {"a": None}, True),
        ({"a": [""]}, {"a": ""}, True),
        ({"a": {"b": ["x"]}}, {"a": {"b": "x"}}, True),
        ({"a": {"b": ["x"]}}, {"a": "x"}, False),
        ({"a": ["x"]}, {"a": ["y", "x"]}, True),
        ({"a": [{"prefix": "ab"}]}, {"a": "abc"}, True),
        ({"a": [{"prefix": {"equals-ignore-case": "AB"}}]}, {"a": "abc"}, True),
        ({"a": [{"suffix": "bc"}]}, {"a": "abc"}, True),
        ({"a": [{"suffix": "bc"}]}, {"a": 1}, False),
        ({"a": [{"equals-ignore-case": "ABC"}]}, {"a": "abc"}, True),
        ({"a": [{"wildcard": "a*c"}]}, {"a": "abbbc"}, True),
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "z"}, True),
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": {"prefix": "x"}}]}, {"a": "xy"}, False),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 6}, False),
        ({"a": [{"numeric": ["=", 3]}]}, {"a": "3"}, False),
        ({"a": [{"exists": True}]}, {"a": "anything"}, True),
        ({"a": [{"exists": True}]}, {}, False),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": False}]}, {"a": 1}, False),
        # Only leaves exist to a pattern: a field holding an object does not.
        ({"a": [{"exists": False}]}, {"a": {"S": "x"}}, True),
        ({"a": [{"exists": True}]}, {"a": {"S": "x"}}, False),
        ({"a": ["x"]}, {"a": {"S": "x"}}, False),
        ({"a": [{"cidr": "10.0.0.0/24"}]}, {"a": "10.0.0.7"}, True),
        ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": "2"}, True),
        ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"c": "2"}, False),
        ({"a": ["x"], "b": ["y"]}, {"a": "x", "b": "z"}, False),
    ],
)
def test_patterns(pattern, event, expected):
    parse_criteria(criteria(pattern))
    assert matches(pattern, event) is expected


def test_any_filter_matching_keeps_the_record_and_no_filters_keep_all():
    patterns = parse_criteria(criteria({"a": ["1"]}, {"a": ["2"]}))
    assert matches_any(patterns, {"a": "2"})
    assert not matches_any(patterns, {"a": "3"})
    assert matches_any([], {"anything": 1})


def test_sqs_bodies_are_matched_as_json_objects_or_plain_strings():
    json_body = {"body": json.dumps({"kind": "order"})}
    assert matches({"body": {"kind": ["order"]}}, sqs_view(json_body))
    plain = {"body": "hello"}
    assert matches({"body": ["hello"]}, sqs_view(plain))
    assert not matches({"body": {"kind": ["order"]}}, sqs_view(plain))


@pytest.mark.parametrize(
    "pattern",
    [
        "not json",
        "[1]",
        '{"a": "x"}',
        '{"a": [{"numeric": [">"]}]}',
        '{"a": [{"unknown": 1}]}',
        '{"$or": [{}]}',
    ],
)
def test_bad_patterns_are_refused(pattern):
    with pytest.raises(ServiceError) as raised:
        parse_criteria(criteria(pattern))
    assert raised.value.code == "InvalidParameterValueException"
    assert raised.value.message == "Invalid filter pattern definition."


def test_an_empty_list_of_values_is_refused():
    with pytest.raises(ServiceError):
        parse_criteria(criteria({"eventSource": []}))
