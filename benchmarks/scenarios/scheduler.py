"""EventBridge Scheduler: GetSchedule of a schedule with an SQS target (the read path), and
UpdateSchedule of a rate schedule (the write path: the record written again and its timer
registered anew on the runtime's scheduler)."""

from collections.abc import Callable

from scenarios import AwsCall, ClientFactory, Scenario

_QUEUE = "arn:aws:sqs:us-east-1:000000000000:bench-scheduler"


def _schedule(name: str) -> dict:
    return {
        "Name": name,
        "ScheduleExpression": "rate(1 hour)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {
            "Arn": _QUEUE,
            "RoleArn": "arn:aws:iam::000000000000:role/bench",
            "Input": '{"job": "report"}',
        },
    }


def _setup(name: str) -> Callable[[ClientFactory], None]:
    def setup(client: ClientFactory) -> None:
        client("sqs").create_queue(QueueName="bench-scheduler")
        client("scheduler").create_schedule(**_schedule(name))

    return setup


SCENARIOS = (
    Scenario(
        name="scheduler-get-schedule",
        summary="EventBridge Scheduler GetSchedule (rest-json, one read)",
        requests=(AwsCall("scheduler", "GetSchedule", {"Name": "bench-get"}),),
        setup=_setup("bench-get"),
    ),
    Scenario(
        name="scheduler-update-schedule",
        summary="EventBridge Scheduler UpdateSchedule of a rate schedule (one write, its timer re-registered)",
        requests=(
            AwsCall("scheduler", "UpdateSchedule", {**_schedule("bench-update"), "ClientToken": "bench"}),
        ),
        setup=_setup("bench-update"),
    ),
)
