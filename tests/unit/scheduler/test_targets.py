"""What a target's invocation is: the call a templated target makes, the operation a universal
target names, its Input as typed parameters, and the context attributes replaced."""

from __future__ import annotations

from datetime import UTC, datetime

import botocore.session
import pytest

from overcast.bus import DeliveryError
from overcast.errors import ServiceError
from overcast.services.scheduler.targets import (
    coerce,
    error_parts,
    resolve_universal,
    templated_call,
    universal_parts,
    with_context,
)

SCHEDULE = "arn:aws:scheduler:us-east-1:000000000000:schedule/default/s"


def test_context_attributes_are_replaced():
    text = '{"a": "<aws.scheduler.schedule-arn>", "t": "<aws.scheduler.scheduled-time>", ' \
           '"e": "<aws.scheduler.execution-id>", "n": "<aws.scheduler.attempt-number>"}'  # fmt: skip
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    assert with_context(text, SCHEDULE, moment, "d32c5kddcf5bb8c3", 2) == (
        f'{{"a": "{SCHEDULE}", "t": "2030-01-02T03:04:05Z", "e": "d32c5kddcf5bb8c3", "n": "2"}}'
    )
    assert with_context(None, SCHEDULE, moment, "x", 1) is None
    assert with_context("plain", SCHEDULE, moment, "x", 1) == "plain"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:scheduler:::aws-sdk:sqs:sendMessage", ("sqs", "SendMessage")),
        ("arn:aws:scheduler:::aws-sdk:dynamodb:putItem", ("dynamodb", "PutItem")),
        ("arn:aws:scheduler:::aws-sdk:cloudwatchlogs:putLogEvents", ("logs", "PutLogEvents")),
        ("arn:aws:scheduler:::aws-sdk:eventbridge:putEvents", ("events", "PutEvents")),
        ("arn:aws:scheduler:::aws-sdk:sqs:createQueue", ("sqs", "CreateQueue")),
    ],
)
def test_universal_targets_name_an_sdk_service_and_action(arn, expected):
    assert resolve_universal(arn) == expected


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:scheduler:::aws-sdk:sqs:getQueueUrl",  # read-only: AWS refuses it
        "arn:aws:scheduler:::aws-sdk:dynamodb:query",
        "arn:aws:scheduler:::aws-sdk:sqs:noSuchThing",
        "arn:aws:scheduler:::aws-sdk:nosuchservice:doIt",
    ],
)
def test_universal_targets_refused(arn):
    with pytest.raises(ServiceError) as refused:
        resolve_universal(arn)
    assert refused.value.code == "ValidationException"


def test_universal_parts_need_the_whole_form():
    assert universal_parts("arn:aws:scheduler:::aws-sdk:sqs:sendMessage") == ("sqs", "sendMessage")
    assert universal_parts("arn:aws:sqs:us-east-1:000000000000:q") is None
    assert universal_parts("arn:aws:scheduler:::aws-sdk:sqs") is None


def test_templated_calls():
    fifo = {"Arn": "arn:aws:sqs:eu-west-1:111111111111:jobs.fifo", "SqsParameters": {"MessageGroupId": "g"}}
    assert templated_call(fifo, "body", SCHEDULE, "e1") == (
        "sqs", "SendMessage", {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111111111111/jobs.fifo",
                               "MessageBody": "body", "MessageGroupId": "g", "MessageDeduplicationId": "e1"},
    )  # fmt: skip
    function = {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:f"}
    assert templated_call(function, None, SCHEDULE, "e") == (
        "lambda", "Invoke", {"FunctionName": function["Arn"], "InvocationType": "Event", "Payload": b"{}"},
    )  # fmt: skip
    bus = {"Arn": "arn:aws:events:us-east-1:000000000000:event-bus/b",
           "EventBridgeParameters": {"Source": "s", "DetailType": "d"}}  # fmt: skip
    service, operation, params = templated_call(bus, '{"k": 1}', SCHEDULE, "e")
    assert (service, operation) == ("events", "PutEvents")
    assert params["Entries"] == [{"EventBusName": bus["Arn"], "Source": "s", "DetailType": "d",
                                  "Detail": '{"k": 1}', "Resources": [SCHEDULE]}]  # fmt: skip
    stream = {
        "Arn": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
        "KinesisParameters": {"PartitionKey": "p"},
    }
    assert templated_call(stream, "data", SCHEDULE, "e")[2] == {"StreamARN": stream["Arn"], "PartitionKey": "p",
                                                                "Data": b"data"}  # fmt: skip
    with pytest.raises(DeliveryError) as refused:
        templated_call({"Arn": "arn:aws:ecs:us-east-1:000000000000:cluster/c"}, None, SCHEDULE, "e")
    assert not refused.value.retryable


def _input(service: str, operation: str):
    return botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape


def test_input_is_typed_by_the_operations_model():
    shape = _input("sqs", "SendMessage")
    params = coerce(shape, {"QueueUrl": "q", "MessageBody": "b", "DelaySeconds": 5,
                            "MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "aGk="}}})  # fmt: skip
    assert params["MessageAttributes"]["a"]["BinaryValue"] == b"hi"
    assert params["DelaySeconds"] == 5
    put = coerce(_input("cloudwatch", "PutMetricData"), {"Namespace": "n", "MetricData": [
        {"MetricName": "m", "Timestamp": "2030-01-01T00:00:00Z", "Value": 1}]})  # fmt: skip
    assert put["MetricData"][0]["Timestamp"] == datetime(2030, 1, 1, tzinfo=UTC)


def test_pascal_case_names_a_camel_case_apis_members():
    params = coerce(_input("logs", "PutLogEvents"), {"LogGroupName": "g", "logStreamName": "s",
                                                     "LogEvents": [{"Timestamp": 1, "Message": "m"}]})  # fmt: skip
    assert params == {
        "logGroupName": "g",
        "logStreamName": "s",
        "logEvents": [{"timestamp": 1, "message": "m"}],
    }


@pytest.mark.parametrize(
    "given",
    [
        {"QueueUrl": "q", "MessageBody": "b", "Unknown": 1},
        {"QueueUrl": "q", "MessageBody": 5},
        {"QueueUrl": "q", "MessageBody": "b", "DelaySeconds": "5"},
        {"QueueUrl": "q", "MessageBody": "b", "MessageAttributes": []},
    ],
)
def test_input_of_the_wrong_shape_is_refused_for_good(given):
    with pytest.raises(DeliveryError) as refused:
        coerce(_input("sqs", "SendMessage"), given)
    assert not refused.value.retryable and str(refused.value).startswith("ValidationException: ")


def test_error_parts():
    assert error_parts("AccessDenied: no") == ("AccessDenied", "no")
    assert error_parts("something broke") == ("AWS.Scheduler.InternalServerError", "something broke")


class _Bus:
    def __init__(self) -> None:
        self.sent: list[tuple] = []

    def deliver(self, target, message, **options) -> None:
        self.sent.append((target, message, options))


class _Runtime:
    def __init__(self) -> None:
        self.bus = _Bus()
        self.config = type("Config", (), {"enforce_iam": False})()


def _failed_provider(attempts: int, retryable: bool):
    from overcast.services.scheduler.targets import TargetsMixin

    provider = TargetsMixin.__new__(TargetsMixin)
    provider.runtime = _Runtime()  # type: ignore[attr-defined]
    provider._attempts = {"e1": (attempts, retryable)}  # type: ignore[attr-defined]
    return provider


ARGS = {"schedule": SCHEDULE, "target": "arn:aws:sqs:us-east-1:000000000000:q", "execution": "e1",
        "scheduled": datetime(2030, 1, 1, tzinfo=UTC).timestamp(), "dead_letter": "arn:aws:sqs:us-east-1:000000000000:dlq",
        "retries": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}}  # fmt: skip


@pytest.mark.parametrize(
    ("attempts", "retryable", "condition"),
    [(3, True, "MaximumRetryAttempts"), (2, True, "MaximumEventAgeInSeconds"), (1, False, None)],
)
def test_a_dead_letter_says_why_the_retries_stopped(attempts, retryable, condition):
    provider = _failed_provider(attempts, retryable)
    provider.target_failed('{"at": "<aws.scheduler.scheduled-time>"}', "Throttling: slow down", ARGS)  # type: ignore[attr-defined]
    [(queue, body, options)] = provider.runtime.bus.sent  # type: ignore[attr-defined]
    attributes = {name: value["StringValue"] for name, value in options["attributes"].items()}
    assert queue == ARGS["dead_letter"] and body == '{"at": "2030-01-01T00:00:00Z"}'
    assert attributes["ERROR_CODE"] == "Throttling" and attributes["ERROR_MESSAGE"] == "slow down"
    assert attributes["RETRY_ATTEMPTS"] == str(attempts - 1)
    assert attributes.get("EXHAUSTED_RETRY_CONDITION") == condition
    assert attributes["SCHEDULE_ARN"] == SCHEDULE and attributes["EXECUTION_ID"] == "e1"
