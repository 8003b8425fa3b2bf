"""The event pattern engine: every match type of AWS's content filtering, arrays, nesting,
`$or`, and the validation messages AWS answers (InvalidEventPatternException)."""

from __future__ import annotations

import json

import pytest

from overcast.services.events import patterns


def event(**detail) -> dict:
    return {
        "version": "0",
        "id": "1",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
        "detail": detail,
    }


def matches(pattern: dict, value: dict) -> bool:
    return patterns.compile_pattern(patterns.parse(json.dumps(pattern))).matches(value)


def refused(pattern: dict | str) -> str:
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    with pytest.raises(patterns.PatternError) as caught:
        patterns.parse(text)
    message = str(caught.value)
    assert message.startswith("Event pattern is not valid. Reason: ")
    return message.removeprefix("Event pattern is not valid. Reason: ")


CASES = [
    # (pattern, detail, expected)
    ({"detail": {"state": ["stopped"]}}, {"state": "stopped"}, True),
    ({"detail": {"state": ["stopped"]}}, {"state": "running"}, False),
    ({"detail": {"state": ["stopped", "terminated"]}}, {"state": "terminated"}, True),
    ({"detail": {"count": [5]}}, {"count": 5.0}, True),
    ({"detail": {"count": [5]}}, {"count": "5"}, False),
    ({"detail": {"flag": [True]}}, {"flag": True}, True),
    ({"detail": {"flag": [True]}}, {"flag": 1}, False),
    ({"detail": {"value": [None]}}, {"value": None}, True),
    ({"detail": {"value": [None]}}, {}, False),
    ({"detail": {"name": [{"prefix": "prod-"}]}}, {"name": "prod-db"}, True),
    ({"detail": {"name": [{"prefix": "prod-"}]}}, {"name": "dev-db"}, False),
    ({"detail": {"name": [{"prefix": {"equals-ignore-case": "PROD-"}}]}}, {"name": "prod-db"}, True),
    ({"detail": {"file": [{"suffix": ".png"}]}}, {"file": "a.png"}, True),
    ({"detail": {"file": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}, {"file": "a.png"}, True),
    ({"detail": {"file": [{"suffix": ".png"}]}}, {"file": "a.jpg"}, False),
    ({"detail": {"name": [{"equals-ignore-case": "ALICE"}]}}, {"name": "alice"}, True),
    ({"detail": {"state": [{"anything-but": "stopped"}]}}, {"state": "running"}, True),
    ({"detail": {"state": [{"anything-but": "stopped"}]}}, {"state": "stopped"}, False),
    ({"detail": {"state": [{"anything-but": "stopped"}]}}, {}, False),
    ({"detail": {"state": [{"anything-but": ["a", "b"]}]}}, {"state": "b"}, False),
    ({"detail": {"n": [{"anything-but": [1, 2]}]}}, {"n": 3}, True),
    ({"detail": {"s": [{"anything-but": {"prefix": "init"}}]}}, {"s": "initializing"}, False),
    ({"detail": {"s": [{"anything-but": {"prefix": "init"}}]}}, {"s": "running"}, True),
    ({"detail": {"s": [{"anything-but": {"suffix": ".txt"}}]}}, {"s": "a.txt"}, False),
    ({"detail": {"s": [{"anything-but": {"equals-ignore-case": ["A", "B"]}}]}}, {"s": "b"}, False),
    ({"detail": {"s": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, {"s": "/usr/lib/x"}, False),
    ({"detail": {"s": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, {"s": "/usr/bin/x"}, True),
    ({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}, {"n": 5}, True),
    ({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}, {"n": 0}, False),
    ({"detail": {"n": [{"numeric": ["=", 3.0]}]}}, {"n": 3}, True),
    ({"detail": {"n": [{"numeric": [">=", 10]}]}}, {"n": "11"}, False),
    ({"detail": {"n": [{"exists": True}]}}, {"n": 0}, True),
    ({"detail": {"n": [{"exists": True}]}}, {}, False),
    ({"detail": {"n": [{"exists": False}]}}, {}, True),
    ({"detail": {"n": [{"exists": False}]}}, {"n": "x"}, False),
    ({"detail": {"n": [{"exists": True}]}}, {"n": {"nested": 1}}, False),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"ip": "10.0.0.255"}, True),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"ip": "10.0.1.1"}, False),
    ({"detail": {"ip": [{"cidr": "2001:db8::/32"}]}}, {"ip": "2001:db8::1"}, True),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"ip": "not-an-ip"}, False),
    ({"detail": {"key": [{"wildcard": "dir/*.png"}]}}, {"key": "dir/a/b.png"}, True),
    ({"detail": {"key": [{"wildcard": "dir/*.png"}]}}, {"key": "other/a.png"}, False),
    ({"detail": {"key": [{"wildcard": "a\\*b"}]}}, {"key": "a*b"}, True),
    ({"detail": {"key": [{"wildcard": "a\\*b"}]}}, {"key": "axb"}, False),
    # arrays in the event: any element
    ({"detail": {"tags": ["red"]}}, {"tags": ["blue", "red"]}, True),
    ({"detail": {"tags": ["red"]}}, {"tags": []}, False),
    ({"detail": {"tags": [{"exists": False}]}}, {"tags": []}, True),
    # nested at any depth, and arrays of objects match element-wise
    ({"detail": {"a": {"b": {"c": ["deep"]}}}}, {"a": {"b": {"c": "deep"}}}, True),
    ({"detail": {"a": {"b": ["x"], "c": ["y"]}}}, {"a": [{"b": "x", "c": "z"}, {"b": "q", "c": "y"}]}, False),
    ({"detail": {"a": {"b": ["x"], "c": ["y"]}}}, {"a": [{"b": "x", "c": "y"}]}, True),
    # dotted keys are paths
    ({"detail": {"a.b": ["x"]}}, {"a": {"b": "x"}}, True),
    ({"detail": {"a": {"b": ["x"]}}}, {"a.b": "x"}, True),
    # $or at a nested level, and next to other keys
    ({"detail": {"$or": [{"c": ["1"]}, {"d": ["2"]}]}}, {"d": "2"}, True),
    ({"detail": {"$or": [{"c": ["1"]}, {"d": ["2"]}]}}, {"d": "3"}, False),
    ({"detail": {"e": ["x"], "$or": [{"c": ["1"]}, {"d": ["2"]}]}}, {"e": "y", "c": "1"}, False),
    # several matchers in one leaf are alternatives
    ({"detail": {"s": ["a", {"prefix": "b"}]}}, {"s": "bcd"}, True),
]


@pytest.mark.parametrize(("pattern", "detail", "expected"), CASES)
def test_match(pattern, detail, expected):
    assert matches(pattern, event(**detail)) is expected


def test_top_level_fields_and_the_guides_ec2_rule():
    pattern = {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["stopped"]},
    }
    assert matches(pattern, event(state="stopped", **{"instance-id": "i-1"}))
    assert not matches(pattern, event(state="running"))
    assert matches({"resources": [{"prefix": "arn:aws:ec2:"}]}, event())
    assert matches({"$or": [{"source": ["nope"]}, {"account": ["123456789012"]}]}, event())


REFUSALS = [
    ({"source": "aws.ec2"}, '"source" must be an object or an array'),
    ({"resources": []}, "Empty arrays are not allowed"),
    ({"a": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
    ({"a": [{"numeric": [">", 0, ">", 0]}]}, "Bad numeric range operator: >"),
    ({"a": [{"numeric": [">", 0, "<"]}]}, "Value of < must be numeric"),
    ({"a": [{"numeric": 10}]}, "Value of numeric must be an array."),
    ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
    ({"a": [{"suffix": ["x"]}]}, "suffix match pattern must be a string"),
    ({"a": [{"equals-ignore-case": 1}]}, "equals-ignore-case match pattern must be a string"),
    ({"a": [{"wildcard": 1}]}, "wildcard match pattern must be a string"),
    ({"a": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters at pos 2"),
    (
        {"a": [{"anything-but": None}]},
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        {"a": [{"anything-but": ["x", None]}]},
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    ({"a": [{"anything-but": {"suffix": 1}}]}, "prefix/suffix match pattern must be a string"),
    (
        {"a": [{"anything-but": {"equals-ignore-case": 1}}]},
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ),
    ({"a": [{"cidr": "bad"}]}, "Malformed CIDR, one '/' required"),
    ({"a": [{"cidr": "bad/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"a": [{"cidr": "xx.1/8"}]}, "Nonstandard IP address: xx.1"),
]


@pytest.mark.parametrize(("pattern", "reason"), REFUSALS)
def test_refusals_are_worded_as_aws_words_them(pattern, reason):
    assert refused(pattern) == reason


def test_malformed_json_is_refused_with_jacksons_wording():
    assert refused("{'a': ['x']}").startswith("Unexpected character (''' (code 39))")
    assert refused('{"a": [this]}').startswith("Unrecognized token 'this'")
    assert refused("[1]") == "Filter is not an object"


def test_fixed_sources_key_the_index_only_when_required():
    assert patterns.fixed_values({"source": ["a", "b"]}, "source") == {"a", "b"}
    assert patterns.fixed_values({"source": [{"prefix": "a"}]}, "source") is None
    assert (
        patterns.fixed_values({"$or": [{"source": ["a"]}, {"x": ["y"]}], "source": ["a"]}, "source") is None
    )
    assert patterns.fixed_values({"detail": {"x": ["y"]}}, "source") is None
