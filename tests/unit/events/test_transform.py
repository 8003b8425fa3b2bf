"""What a target receives: Input, InputPath, and InputTransformer with AWS's quoting rules (a
placeholder in a string gets the value's text, outside one its JSON; objects and arrays inside
a string of a string template lose their quotes, inside a JSON-object template they are not
delivered; a missing path gives an empty string)."""

from __future__ import annotations

import json

import pytest

from overcast.errors import ServiceError
from overcast.services.events import transform

EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "Order Placed",
    "source": "orders.app",
    "account": "123456789012",
    "time": "2024-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:s3:::b"],
    "detail": {
        "order": "o-1",
        "n": 3,
        "items": ["a", "b"],
        "who": {"id": "u-1", "tier": "gold"},
        "q": 'say "hi"',
    },
}
RULE = {"Arn": "arn:aws:events:us-east-1:123456789012:rule/r", "Name": "r"}
PATHS = {
    "order": "$.detail.order",
    "n": "$.detail.n",
    "items": "$.detail.items",
    "who": "$.detail.who",
    "q": "$.detail.q",
    "first": "$.resources[0]",
    "missing": "$.detail.nothing",
}


def received(template: str) -> str:
    target = {"Id": "t", "InputTransformer": {"InputPathsMap": PATHS, "InputTemplate": template}}
    transform.check_target_input(target)
    return transform.payload(target, EVENT, transform.compact_json(EVENT), RULE)


def test_input_and_input_path():
    text = transform.compact_json(EVENT)
    assert transform.payload({"Id": "t", "Input": '{"a": 1}'}, EVENT, text, RULE) == '{"a": 1}'
    assert (
        transform.payload({"Id": "t", "InputPath": "$.detail.who"}, EVENT, text, RULE)
        == '{"id":"u-1","tier":"gold"}'
    )
    assert (
        transform.payload({"Id": "t", "InputPath": "$.resources[0]"}, EVENT, text, RULE) == '"arn:aws:s3:::b"'
    )
    assert transform.payload({"Id": "t"}, EVENT, text, RULE) == text


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{"order": <order>, "n": <n>, "items": <items>}', {"order": "o-1", "n": 3, "items": ["a", "b"]}),
        ('{"text": "order <order> has <n> items"}', {"text": "order o-1 has 3 items"}),
        ('{"q": "<q>"}', {"q": 'say "hi"'}),
        ('{"missing": <missing>, "inside": "[<missing>]"}', {"missing": "", "inside": "[]"}),
        (
            '{"rule": "<aws.events.rule-name>", "arn": <aws.events.rule-arn>}',
            {"rule": "r", "arn": RULE["Arn"]},
        ),
        ('{"first": <first>}', {"first": "arn:aws:s3:::b"}),
    ],
)
def test_json_templates(template, expected):
    assert json.loads(received(template)) == expected


def test_string_templates_keep_their_quotes_and_unquote_objects():
    assert (
        received('"order <order> for <who> with <items>"') == '"order o-1 for {id:u-1,tier:gold} with [a,b]"'
    )


def test_an_object_inside_a_string_of_a_json_template_is_not_delivered():
    with pytest.raises(transform.TransformError):
        received('{"who": "user <who>"}')


def test_the_reserved_event_variables():
    document = json.loads(received('{"meta": <aws.events.event>, "full": <aws.events.event.json>}'))
    assert document["full"] == EVENT
    assert list(document["meta"]) == [
        "id",
        "account",
        "detailType",
        "time",
        "source",
        "region",
        "resources",
        "version",
    ]
    assert "detail" not in document["meta"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {"Id": "t", "Input": "{}", "InputPath": "$"},
            "Only one of Input, InputPath, or InputTransformer must be provided for target t.",
        ),
        (
            {"Id": "t", "InputTransformer": {"InputPathsMap": {}, "InputTemplate": "<nope>"}},
            "InputTemplate for target t contains invalid placeholder nope.",
        ),
        ({"Id": "t", "Input": "not json"}, "Input for target t is not valid JSON text."),
    ],
)
def test_refused_at_put_targets(target, message):
    with pytest.raises(ServiceError) as caught:
        transform.check_target_input(target)
    assert caught.value.message == message
