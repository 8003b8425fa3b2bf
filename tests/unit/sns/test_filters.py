"""The filter policy engine on its own: every operator, typing rules, nesting, $or, limits."""

from __future__ import annotations

import json

import pytest

from overcast.errors import ServiceError
from overcast.services.sns.filters import compile_policy


def attrs(**values) -> dict:
    out = {}
    for name, value in values.items():
        if isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, (int, float)):
            out[name] = {"DataType": "Number", "StringValue": str(value)}
        elif isinstance(value, bytes):
            out[name] = {"DataType": "Binary", "BinaryValue": value}
        else:
            out[name] = {"DataType": "String", "StringValue": value}
    return out


def matches(
    policy: dict, scope: str = "MessageAttributes", attributes: dict | None = None, body: str = ""
) -> bool:
    return compile_policy(json.dumps(policy), scope).matches(attributes, body)


@pytest.mark.parametrize(
    "policy, values, expected",
    [
        ({"a": ["x"]}, {"a": "x"}, True),
        ({"a": ["x"]}, {"a": "y"}, False),
        ({"a": ["x"]}, {}, False),
        ({"a": ["5"]}, {"a": 5}, False),  # a string condition does not match a Number attribute
        ({"a": [5]}, {"a": 5.0}, True),
        ({"a": [5]}, {"a": "5"}, False),  # nor a number condition a String attribute
        ({"a": [{"prefix": "ab"}]}, {"a": "abc"}, True),
        ({"a": [{"suffix": "bc"}]}, {"a": "abc"}, True),
        ({"a": [{"equals-ignore-case": "ABC"}]}, {"a": "aBc"}, True),
        ({"a": [{"anything-but": "x"}]}, {"a": "y"}, True),
        ({"a": [{"anything-but": "x"}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": "x"}]}, {}, False),  # anything-but needs the key present
        ({"a": [{"anything-but": [1, 2]}]}, {"a": 3}, True),
        ({"a": [{"anything-but": [1, 2]}]}, {"a": 2}, False),
        ({"a": [{"anything-but": {"prefix": "ab"}}]}, {"a": "abc"}, False),
        ({"a": [{"anything-but": {"prefix": "ab"}}]}, {"a": "xbc"}, True),
        ({"a": [{"anything-but": {"equals-ignore-case": ["X", "Y"]}}]}, {"a": "y"}, False),
        ({"a": [{"anything-but": {"equals-ignore-case": ["X", "Y"]}}]}, {"a": "z"}, True),
        ({"a": [{"numeric": ["=", 3]}]}, {"a": 3}, True),
        ({"a": [{"numeric": [">", 0, "<", 10]}]}, {"a": 10}, False),
        ({"a": [{"numeric": [">=", 0, "<=", 10]}]}, {"a": 10}, True),
        ({"a": [{"numeric": ["<", 0]}]}, {"a": -0.5}, True),
        ({"a": [{"exists": True}]}, {"a": "v"}, True),
        ({"a": [{"exists": True}]}, {}, False),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": False}]}, {"a": "v"}, False),
        ({"a": [{"exists": True}]}, {"a": b"\x00"}, False),  # Binary attributes are not filtered on
        ({"a": ["red"]}, {"a": ["blue", "red"]}, True),  # String.Array: any element
        ({"a": [3]}, {"a": ["x", 3]}, True),
        ({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "10.1.2.3"}, True),
        ({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "11.1.2.3"}, False),
        ({"a": [{"cidr": "2001:db8::/32"}]}, {"a": "2001:db8::1"}, True),
        ({"a": ["x"], "b": ["y"]}, {"a": "x", "b": "y"}, True),
        ({"a": ["x"], "b": ["y"]}, {"a": "x"}, False),
        ({"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"b": "y"}, True),
        ({"c": ["z"], "$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"b": "y"}, False),
    ],
)  # fmt: skip
def test_attribute_matching(policy, values, expected):
    assert matches(policy, attributes=attrs(**values)) is expected


@pytest.mark.parametrize(
    "policy, body, expected",
    [
        ({"a": {"b": ["x"]}}, {"a": {"b": "x"}}, True),
        ({"a": {"b": ["x"]}}, {"a": {"b": "y"}}, False),
        ({"a": {"b": ["x"]}}, {"a": [{"b": "y"}, {"b": "x"}]}, True),
        ({"a": ["x"]}, {"a": ["y", "x"]}, True),
        ({"a": [None]}, {"a": None}, True),
        ({"a": [True]}, {"a": True}, True),
        ({"a": [True]}, {"a": "true"}, False),
        ({"a": [{"numeric": [">", 1]}]}, {"a": 2}, True),
        ({"a": [{"exists": False}]}, {"b": 1}, True),
        ({"a": [{"exists": True}]}, {"a": {"nested": 1}}, False),  # exists matches leaves only
        ({"$or": [{"a": ["x"]}, {"b": {"c": [1]}}]}, {"b": {"c": 1}}, True),
    ],
)  # fmt: skip
def test_body_matching(policy, body, expected):
    assert matches(policy, "MessageBody", body=json.dumps(body)) is expected


def test_body_scope_needs_a_json_object():
    assert matches({"a": ["x"]}, "MessageBody", body="not json") is False
    assert matches({"a": ["x"]}, "MessageBody", body='["x"]') is False
    assert matches({"a": [{"exists": False}]}, "MessageBody", body="{}") is True


def test_combinations_count_depth_and_or():
    # 3 values at depth 3 times 2 values at depth 2: 3*3 * 2*2 = 36: fine.
    compile_policy(json.dumps({"a": {"b": {"c": [1, 2, 3]}}, "d": {"e": [1, 2]}}), "MessageBody")
    too_many = {"a": list(range(10)), "b": list(range(16))}
    with pytest.raises(ServiceError) as caught:
        compile_policy(json.dumps(too_many), "MessageAttributes")
    assert caught.value.message == "Invalid parameter: FilterPolicy: Filter policy is too complex"
    # $or adds its alternatives' combinations up: 100 + 100 > 150.
    alternatives = {"$or": [{"a": list(range(100))}, {"b": list(range(100))}]}
    with pytest.raises(ServiceError):
        compile_policy(json.dumps(alternatives), "MessageAttributes")


def test_prefix_is_how_the_operation_introduces_the_reason():
    with pytest.raises(ServiceError) as caught:
        compile_policy('{"a": [{"bogus": 1}]}', "MessageAttributes", "Invalid parameter: Attributes Reason: ")
    assert (
        caught.value.message
        == "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type bogus"
    )
    assert caught.value.code == "InvalidParameter"


@pytest.mark.parametrize(
    "policy, value, expected",
    [
        ({"price": [100, 500]}, "[100, 50]", True),
        ({"price": [100.123456789, 500]}, "[100.1234567, 50]", True),  # five digits of accuracy
        ({"price": [500]}, "[100, 50]", False),
        ({"price": [100, 500]}, "100", True),  # one JSON number, not an array: still that value
        ({"price": [{"numeric": [">", 99]}]}, "100", True),
        ({"price": [100]}, "one hundred", False),  # not JSON: nothing to match
        ({"price": ["100"]}, "[100]", False),  # a number element does not match a string value
        ({"price": ["x"]}, '{"a": "x"}', False),  # an object is no array of values
    ],
)  # fmt: skip
def test_string_array_numbers(policy, value, expected):
    attributes = {"price": {"DataType": "String.Array", "StringValue": value}}
    assert matches(policy, attributes=attributes) is expected


@pytest.mark.parametrize(
    "policy, body, expected",
    [
        ({"object.nested": ["v"]}, {"object": {"nested": "v"}}, True),
        ({"object.nested": ["v"]}, {"object.nested": "v"}, True),
        ({"object": {"nested": ["v"]}}, {"object.nested": "v"}, True),
        ({"object.nested.test": ["v"]}, {"object": {"nested.test": "v"}}, True),
        ({"object.nested": ["v"]}, {"object": {"nested": "other"}}, False),
        ({"object.nested": ["v"]}, {"objectX": {"nested": "v"}}, False),
        ({"a.b": [1]}, {"a": [{"b": 1}, {"b": 2}]}, True),
    ],
)  # fmt: skip
def test_body_keys_with_dots(policy, body, expected):
    assert matches(policy, "MessageBody", body=json.dumps(body)) is expected
