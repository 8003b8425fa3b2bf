"""PutEvents: per-entry results and errors, the size limit, and matched events really
delivered to SQS (standard and FIFO), SNS, another bus and CloudWatch Logs, shaped by Input,
InputPath and InputTransformer."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError


def entry(detail: dict | None = None, source: str = "my.app", **extra) -> dict:
    return {"Source": source, "DetailType": "thing happened", "Detail": json.dumps(detail or {}), **extra}


def test_per_entry_results_and_errors(events):
    answer = events.put_events(
        Entries=[
            entry({"a": 1}),
            {"DetailType": "x", "Detail": "{}"},
            {"Source": "s", "Detail": "{}"},
            {"Source": "s", "DetailType": "x"},
            {"Source": "s", "DetailType": "x", "Detail": "[1]"},
            entry(EventBusName="no-such-bus"),
        ]
    )
    assert answer["FailedEntryCount"] == 4
    results = answer["Entries"]
    assert set(results[0]) == {"EventId"}
    assert results[1] == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
    }
    assert (
        results[2]["ErrorMessage"]
        == "Parameter DetailType is not valid. Reason: DetailType is a required argument."
    )
    assert (
        results[3]["ErrorMessage"] == "Parameter Detail is not valid. Reason: Detail is a required argument."
    )
    assert results[4] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert set(results[5]) == {"EventId"}  # AWS accepts an event for a missing bus, and drops it


def test_entries_over_256_kb_are_refused(events):
    big = {"blob": "x" * (256 * 1024)}
    with pytest.raises(ClientError) as caught:
        events.put_events(Entries=[entry(big)])
    assert (
        caught.value.response["Error"]["Message"]
        == "Total size of the entries in the request is over the limit."
    )


def test_matched_event_reaches_a_queue_in_aws_shape(events, name, queue):
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["my.app"], "detail": {"kind": ["order"]}}))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    sent = events.put_events(
        Entries=[entry({"kind": "order", "n": 1}, Resources=["arn:aws:s3:::b"]), entry({"kind": "refund"})]
    )
    [body] = queue.bodies(1)
    assert body["id"] == sent["Entries"][0]["EventId"]
    assert body["detail"] == {"kind": "order", "n": 1}
    assert body["source"] == "my.app" and body["detail-type"] == "thing happened"
    assert body["account"] == "000000000000" and body["region"] == "us-east-1"
    assert body["resources"] == ["arn:aws:s3:::b"] and body["version"] == "0"
    assert list(body) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert queue.messages(1, timeout=1.5) == []  # the refund matched nothing


def test_a_disabled_rule_delivers_nothing(events, name, queue):
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}), State="DISABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    events.put_events(Entries=[entry(source=name)])
    assert queue.messages(1, timeout=1.5) == []


def test_input_inputpath_and_transformer(events, name, make_queue):
    constant, path, transformed, quoted = (make_queue() for _ in range(4))
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(
        Rule=name,
        Targets=[
            {"Id": "constant", "Arn": constant.arn, "Input": '{"fixed": true}'},
            {"Id": "path", "Arn": path.arn, "InputPath": "$.detail.instance"},
            {
                "Id": "transformed",
                "Arn": transformed.arn,
                "InputTransformer": {
                    "InputPathsMap": {
                        "instance": "$.detail.instance",
                        "state": "$.detail.state",
                        "n": "$.detail.n",
                    },
                    "InputTemplate": '{"id": <instance>, "text": "<instance> is <state>", "n": <n>, "rule": "<aws.events.rule-name>"}',
                },
            },
            {
                "Id": "quoted",
                "Arn": quoted.arn,
                "InputTransformer": {
                    "InputPathsMap": {"instance": "$.detail.instance", "state": "$.detail.state"},
                    "InputTemplate": '"instance <instance> is in state <state>"',
                },
            },
        ],
    )
    events.put_events(Entries=[entry({"instance": "i-1", "state": "stopped", "n": 3}, source=name)])
    assert constant.bodies() == [{"fixed": True}]
    assert path.bodies() == ["i-1"]
    assert transformed.bodies() == [{"id": "i-1", "text": "i-1 is stopped", "n": 3, "rule": name}]
    assert [message["Body"] for message in quoted.messages()] == ['"instance i-1 is in state stopped"']


def test_fifo_queue_target_uses_the_message_group(events, name, make_queue):
    fifo = make_queue(fifo=True)
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    with pytest.raises(ClientError) as caught:
        events.put_targets(Rule=name, Targets=[{"Id": "f", "Arn": fifo.arn}])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    events.put_targets(
        Rule=name, Targets=[{"Id": "f", "Arn": fifo.arn, "SqsParameters": {"MessageGroupId": "g1"}}]
    )
    events.put_events(Entries=[entry({"n": 1}, source=name), entry({"n": 2}, source=name)])
    messages = fifo.messages(2, AttributeNames=["MessageGroupId"])
    assert [json.loads(message["Body"])["detail"]["n"] for message in messages] == [1, 2]
    assert {message["Attributes"]["MessageGroupId"] for message in messages} == {"g1"}


def test_sns_target(events, client, name, queue):
    sns = client("sns")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue.arn, Attributes={"RawMessageDelivery": "true"}
    )
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": topic}])
    events.put_events(Entries=[entry({"via": "sns"}, source=name)])
    [body] = queue.bodies()
    assert body["detail"] == {"via": "sns"}


def test_another_bus_as_target(events, name, queue):
    events.create_event_bus(Name=name)
    events.put_rule(Name=f"{name}-forward", EventPattern=json.dumps({"source": [name]}))
    bus_arn = events.describe_event_bus(Name=name)["Arn"]
    events.put_targets(Rule=f"{name}-forward", Targets=[{"Id": "bus", "Arn": bus_arn}])
    events.put_rule(Name=f"{name}-there", EventBusName=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=f"{name}-there", EventBusName=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    sent = events.put_events(Entries=[entry({"hop": 1}, source=name)])
    [body] = queue.bodies()
    assert body["id"] == sent["Entries"][0]["EventId"] and body["detail"] == {"hop": 1}


def test_log_group_target(events, client, name):
    logs = client("logs")
    group = f"/aws/events/{name}"
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, Targets=[{"Id": "logs", "Arn": group_arn}])
    sent = events.put_events(Entries=[entry({"logged": True}, source=name)])
    event_id = sent["Entries"][0]["EventId"]
    deadline = time.monotonic() + 5
    streams: list = []
    while not streams and time.monotonic() < deadline:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        time.sleep(0.1)
    assert [stream["logStreamName"] for stream in streams] == [event_id]
    [logged] = logs.get_log_events(logGroupName=group, logStreamName=event_id)["events"]
    assert json.loads(logged["message"])["detail"] == {"logged": True}


def test_undeliverable_event_goes_to_the_dead_letter_queue(events, name, make_queue):
    dead_letters = make_queue()
    missing = "arn:aws:sqs:us-east-1:000000000000:no-such-queue"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(
        Rule=name,
        Targets=[
            {
                "Id": "gone",
                "Arn": missing,
                "RetryPolicy": {"MaximumRetryAttempts": 0},
                "DeadLetterConfig": {"Arn": dead_letters.arn},
            }
        ],
    )
    rule_arn = events.describe_rule(Name=name)["Arn"]
    sent = events.put_events(Entries=[entry({"lost": True}, source=name)])
    [message] = dead_letters.messages(1, MessageAttributeNames=["All"])
    assert json.loads(message["Body"])["id"] == sent["Entries"][0]["EventId"]
    attributes = {key: value["StringValue"] for key, value in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule_arn and attributes["TARGET_ARN"] == missing
    assert attributes["ERROR_CODE"] and attributes["ERROR_MESSAGE"]


def test_rules_matching_other_sources_are_not_consulted(events, name, queue):
    """The index keys rules by source: a hundred rules for other sources do not change what
    matches (and cost nothing per event)."""
    for index in range(100):
        events.put_rule(Name=f"{name}-{index}", EventPattern=json.dumps({"source": [f"{name}.other{index}"]}))
    events.put_rule(
        Name=name, EventPattern=json.dumps({"source": [name], "detail": {"k": [{"prefix": "v"}]}})
    )
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    events.put_events(
        Entries=[entry({"k": "value"}, source=name), entry({"k": "value"}, source=f"{name}.other7")]
    )
    assert [body["source"] for body in queue.bodies(2, timeout=2)] == [name]


def test_another_accounts_bus_takes_events_only_where_its_policy_allows(endpoint, name, make_queue):
    import boto3

    def clients(account: str):
        session = boto3.session.Session(
            aws_access_key_id=account, aws_secret_access_key="test", region_name="us-east-1"
        )
        return session.client("events", endpoint_url=endpoint), session.client("sqs", endpoint_url=endpoint)

    sender, _ = clients("111111111111")
    receiver, receiver_sqs = clients("222222222222")
    bus_arn = receiver.create_event_bus(Name=name)["EventBusArn"]
    inbox_url = receiver_sqs.create_queue(QueueName=name)["QueueUrl"]
    inbox_arn = receiver_sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    receiver.put_rule(Name=name, EventBusName=name, EventPattern=json.dumps({"source": [name]}))
    receiver.put_targets(Rule=name, EventBusName=name, Targets=[{"Id": "q", "Arn": inbox_arn}])
    dead_letters = make_queue()
    sender.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    sender.put_targets(
        Rule=name,
        Targets=[{"Id": "bus", "Arn": bus_arn, "RetryPolicy": {"MaximumRetryAttempts": 0},
                  "DeadLetterConfig": {"Arn": dead_letters.arn}}],
    )  # fmt: skip
    refused = sender.put_events(Entries=[entry({"n": 1}, source=name)])["Entries"][0]["EventId"]
    [message] = dead_letters.messages(1, MessageAttributeNames=["All"])
    assert json.loads(message["Body"])["id"] == refused
    assert "not authorized" in message["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    receiver.put_permission(
        EventBusName=name, Action="events:PutEvents", Principal="111111111111", StatementId="s"
    )
    sent = sender.put_events(Entries=[entry({"n": 2}, source=name)])["Entries"][0]["EventId"]
    deadline = time.monotonic() + 5
    bodies: list = []
    while not bodies and time.monotonic() < deadline:
        bodies = [
            json.loads(m["Body"])
            for m in receiver_sqs.receive_message(QueueUrl=inbox_url, WaitTimeSeconds=1).get("Messages", [])
        ]
    assert [body["id"] for body in bodies] == [sent] and bodies[0]["account"] == "111111111111"


def test_a_matched_event_is_in_its_queue_when_put_events_answers(events, sqs, name, queue):
    # An SQS target takes the event inside the PutEvents call, so the delivery latency is
    # nothing beyond the call itself: a receive that does not wait finds it at once.
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    for n in range(3):
        sent = events.put_events(Entries=[entry({"n": n}, source=name)])
        answer = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=0, MaxNumberOfMessages=10)
        [message] = answer["Messages"]
        assert json.loads(message["Body"])["id"] == sent["Entries"][0]["EventId"]
        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
