"""Filter policies through the server: one topic, one queue per policy, a set of messages; each
queue must receive exactly the messages its policy lets through."""

from __future__ import annotations

import json

import pytest

from tests.integration.sns.conftest import unique


def attributes(**values) -> dict:
    result = {}
    for name, value in values.items():
        if isinstance(value, list):
            result[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, (int, float)):
            result[name] = {"DataType": "Number", "StringValue": str(value)}
        elif isinstance(value, bytes):
            result[name] = {"DataType": "Binary", "BinaryValue": value}
        else:
            result[name] = {"DataType": "String", "StringValue": value}
    return result


ATTRIBUTE_MESSAGES = {
    "m1": attributes(store="example_corp", event="order_placed", price=50, ip="10.0.0.7"),
    "m2": attributes(store="other_corp", event="order_cancelled", price=150),
    "m3": attributes(store="Example_Corp", event="order_placed", tags=["red", "blue"]),
    "m4": attributes(event="refund", price=0.5, blob=b"\x01"),
    "m5": {},
    "m6": attributes(price=100.1234567),
}

ATTRIBUTE_POLICIES = [
    ({"store": ["example_corp"]}, {"m1"}),
    ({"store": [{"prefix": "other"}]}, {"m2"}),
    ({"event": [{"suffix": "_placed"}]}, {"m1", "m3"}),
    ({"store": [{"equals-ignore-case": "EXAMPLE_CORP"}]}, {"m1", "m3"}),
    ({"store": [{"anything-but": ["example_corp", "other_corp"]}]}, {"m3"}),
    ({"store": [{"anything-but": {"prefix": "other"}}]}, {"m1", "m3"}),
    ({"price": [{"numeric": [">", 10, "<=", 150]}]}, {"m1", "m2", "m6"}),
    ({"price": [50]}, {"m1"}),
    ({"price": [{"numeric": ["<", 1]}]}, {"m4"}),
    ({"store": [{"exists": False}]}, {"m4", "m5", "m6"}),
    ({"tags": ["blue"]}, {"m3"}),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"m1"}),
    # Binary attributes take no part in filtering: as if absent.
    ({"blob": [{"exists": False}]}, {"m1", "m2", "m3", "m4", "m5", "m6"}),
    ({"store": ["example_corp"], "event": ["order_placed"]}, {"m1"}),
    ({"$or": [{"store": ["other_corp"]}, {"event": ["refund"]}]}, {"m2", "m4"}),
    ({"event": ["order_placed", "refund"], "price": [{"exists": True}]}, {"m1", "m4"}),
    # Numbers compare to five digits after the decimal point, as AWS documents.
    ({"price": [100.123456789]}, {"m6"}),
    ({"price": [{"numeric": ["=", 100.12346]}]}, {"m6"}),
]

BODY_MESSAGES = {
    "b1": {
        "order": {"kind": "retail", "total": 120, "items": [{"sku": "a-1"}, {"sku": "b-2"}]},
        "region": "eu",
    },
    "b2": {"order": {"kind": "wholesale", "total": 20}, "region": "us", "flag": None},
    "b3": {"region": "us", "active": True},
    "b4": "not an object",
}

BODY_POLICIES = [
    ({"order": {"kind": ["retail"]}}, {"b1"}),
    ({"order": {"total": [{"numeric": [">=", 100]}]}}, {"b1"}),
    ({"order": {"items": {"sku": [{"prefix": "b-"}]}}}, {"b1"}),
    ({"region": ["us"], "order": {"kind": [{"exists": False}]}}, {"b3"}),
    ({"flag": [None]}, {"b2"}),
    ({"active": [True]}, {"b3"}),
    ({"$or": [{"order": {"kind": ["wholesale"]}}, {"active": [True]}]}, {"b2", "b3"}),
]


def run_matrix(sns, make_queue, scope, policies, messages):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    queues = []
    for policy, _ in policies:
        q = make_queue()
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn, Attributes={
            "FilterPolicy": json.dumps(policy), "FilterPolicyScope": scope, "RawMessageDelivery": "true",
        })  # fmt: skip
        queues.append(q)
    for name, payload in messages.items():
        if scope == "MessageBody":
            body = payload if isinstance(payload, str) else json.dumps({**payload, "name": name})
            sns.publish(TopicArn=topic, Message=body)
        else:
            sns.publish(TopicArn=topic, Message=name, MessageAttributes=payload)
    failures = []
    for (policy, expected), q in zip(policies, queues, strict=False):
        received = q.receive(len(expected), wait=5 if expected else 0.3)
        names = set()
        for message in received:
            names.add(json.loads(message["Body"])["name"] if scope == "MessageBody" else message["Body"])
        if names != expected:
            failures.append((policy, expected, names))
    assert failures == []


def test_attribute_policies(sns, make_queue):
    run_matrix(sns, make_queue, "MessageAttributes", ATTRIBUTE_POLICIES, ATTRIBUTE_MESSAGES)


def test_body_policies(sns, make_queue):
    run_matrix(sns, make_queue, "MessageBody", BODY_POLICIES, BODY_MESSAGES)


@pytest.mark.parametrize("raw", ["false", "true"])
def test_filtered_out_messages_are_not_delivered(sns, topic, make_queue, raw):
    q = make_queue()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn,
                  Attributes={"FilterPolicy": '{"kind": ["keep"]}', "RawMessageDelivery": raw})  # fmt: skip
    sns.publish(TopicArn=topic, Message="dropped", MessageAttributes=attributes(kind="drop"))
    sns.publish(TopicArn=topic, Message="kept", MessageAttributes=attributes(kind="keep"))
    (message,) = q.receive()
    assert (message["Body"] if raw == "true" else json.loads(message["Body"])["Message"]) == "kept"
    q.assert_empty(0.3)
