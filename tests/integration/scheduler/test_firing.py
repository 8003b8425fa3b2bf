"""Schedules really fire, on a server whose schedule clock runs 120 times the wall clock: each
templated target and universal targets get their invocations, with the context attributes
replaced; one-time schedules fire once (and delete themselves when told to); disabled and
deleted schedules stop; failed invocations are retried, then dead-lettered."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from .conftest import ROLE, zip_bytes

OFF = {"Mode": "OFF"}


def at(seconds: float) -> str:
    """An at() expression `seconds` of the wall clock from now (the fast clock is ahead)."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def test_a_rate_schedule_sends_to_sqs_with_context_attributes(fast, make_queue):
    scheduler, sqs = fast("scheduler"), fast("sqs")
    queue = make_queue(sqs)
    arn = scheduler.create_schedule(
        Name="every-minute", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": json.dumps({
            "arn": "<aws.scheduler.schedule-arn>", "time": "<aws.scheduler.scheduled-time>",
            "id": "<aws.scheduler.execution-id>", "attempt": "<aws.scheduler.attempt-number>"})},
    )["ScheduleArn"]  # fmt: skip
    bodies = queue.bodies(3, timeout=10)
    assert len(bodies) >= 3
    assert {b["arn"] for b in bodies} == {arn} and {b["attempt"] for b in bodies} == {"1"}
    assert len({b["id"] for b in bodies}) == len(bodies)  # one execution id per invocation
    times = [datetime.fromisoformat(b["time"].replace("Z", "+00:00")) for b in bodies[:3]]
    assert times[1] - times[0] == timedelta(minutes=1) == times[2] - times[1]

    scheduler.update_schedule(
        Name="every-minute", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": queue.arn, "RoleArn": ROLE}, State="DISABLED",
    )  # fmt: skip
    time.sleep(0.6)
    queue.messages(10, timeout=1)  # what was in flight
    assert queue.messages(1, timeout=1.5) == []


def test_a_fifo_queue_gets_the_message_group(fast, make_queue):
    scheduler, sqs = fast("scheduler"), fast("sqs")
    queue = make_queue(sqs, fifo=True)
    scheduler.create_schedule(
        Name="fifo", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "tick", "SqsParameters": {"MessageGroupId": "g1"}},
    )  # fmt: skip
    messages = queue.messages(2, timeout=10, MessageSystemAttributeNames=["MessageGroupId"])
    assert len(messages) >= 2
    assert {m["Body"] for m in messages} == {"tick"}
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"g1"}
    scheduler.delete_schedule(Name="fifo")


def test_sns_and_eventbridge_targets(fast, make_queue):
    scheduler, sqs, sns, events = fast("scheduler"), fast("sqs"), fast("sns"), fast("events")
    from_topic, from_bus = make_queue(sqs), make_queue(sqs)
    topic = sns.create_topic(Name="scheduled")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=from_topic.arn, Attributes={"RawMessageDelivery": "true"}
    )
    events.put_rule(Name="from-scheduler", EventPattern=json.dumps({"source": ["my.scheduler"]}))
    events.put_targets(Rule="from-scheduler", Targets=[{"Id": "q", "Arn": from_bus.arn}])
    scheduler.create_schedule(
        Name="to-sns", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": topic, "RoleArn": ROLE, "Input": "to the topic"},
    )  # fmt: skip
    arn = scheduler.create_schedule(
        Name="to-bus", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:events:us-east-1:000000000000:event-bus/default", "RoleArn": ROLE,
                "Input": json.dumps({"job": "nightly"}),
                "EventBridgeParameters": {"DetailType": "Job Due", "Source": "my.scheduler"}},
    )["ScheduleArn"]  # fmt: skip
    assert [m["Body"] for m in from_topic.messages(1, timeout=10)][:1] == ["to the topic"]
    event = from_bus.bodies(1, timeout=10)[0]
    assert event["source"] == "my.scheduler" and event["detail-type"] == "Job Due"
    assert event["detail"] == {"job": "nightly"} and event["resources"] == [arn]
    scheduler.delete_schedule(Name="to-sns")
    scheduler.delete_schedule(Name="to-bus")


def test_a_universal_target_calls_the_api(fast):
    scheduler, dynamodb = fast("scheduler"), fast("dynamodb")
    dynamodb.create_table(
        TableName="runs", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    scheduler.create_schedule(
        Name="put-item", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:dynamodb:putItem", "RoleArn": ROLE, "Input": json.dumps({
            "TableName": "runs",
            "Item": {"id": {"S": "<aws.scheduler.execution-id>"}, "at": {"S": "<aws.scheduler.scheduled-time>"}}})},
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and dynamodb.scan(TableName="runs")["Count"] < 2:
        time.sleep(0.2)
    items = dynamodb.scan(TableName="runs")["Items"]
    assert len(items) >= 2 and all(item["at"]["S"].endswith("Z") for item in items)
    scheduler.delete_schedule(Name="put-item")


def test_a_one_time_schedule_fires_once_and_deletes_itself(fast, make_queue):
    scheduler, sqs = fast("scheduler"), fast("sqs")
    kept, deleted = make_queue(sqs), make_queue(sqs)
    # In the past on the fast clock: a one-time schedule whose time has come fires at once.
    scheduler.create_schedule(
        Name="once-kept", ScheduleExpression=at(1), FlexibleTimeWindow=OFF,
        Target={"Arn": kept.arn, "RoleArn": ROLE, "Input": "once"},
    )  # fmt: skip
    scheduler.create_schedule(
        Name="once-deleted", ScheduleExpression=at(1), FlexibleTimeWindow=OFF, ActionAfterCompletion="DELETE",
        Target={"Arn": deleted.arn, "RoleArn": ROLE, "Input": "once"},
    )  # fmt: skip
    assert [m["Body"] for m in kept.messages(2, timeout=3)] == ["once"]
    assert [m["Body"] for m in deleted.messages(2, timeout=1)] == ["once"]
    names = [s["Name"] for s in scheduler.list_schedules(NamePrefix="once-")["Schedules"]]
    assert names == ["once-kept"]


def test_a_cron_schedule_in_a_timezone_fires_on_its_minutes(fast, make_queue):
    scheduler, sqs = fast("scheduler"), fast("sqs")
    queue = make_queue(sqs)
    # Kolkata is UTC+05:30: its whole minutes are whole UTC minutes too, its hours are not.
    scheduler.create_schedule(
        Name="cron-tz", ScheduleExpression="cron(* * * * ? *)", ScheduleExpressionTimezone="Asia/Kolkata",
        FlexibleTimeWindow=OFF, Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
    )  # fmt: skip
    bodies = [m["Body"] for m in queue.messages(2, timeout=10)]
    assert len(bodies) >= 2 and all(body.endswith(":00Z") for body in bodies)  # on the minute
    scheduler.delete_schedule(Name="cron-tz")


def test_a_flexible_window_fires_within_it(fast, make_queue):
    scheduler, sqs = fast("scheduler"), fast("sqs")
    queue = make_queue(sqs)
    scheduler.create_schedule(
        Name="flexible", ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1},
        Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"},
    )  # fmt: skip
    messages = queue.messages(2, timeout=10)
    assert len(messages) >= 2
    scheduler.delete_schedule(Name="flexible")


def test_a_failing_target_is_retried_then_dead_lettered(fast, make_queue):
    scheduler, sqs = fast("scheduler"), fast("sqs")
    dead = make_queue(sqs)
    arn = scheduler.create_schedule(
        Name="failing", ScheduleExpression=at(1), FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:lambda:us-east-1:000000000000:function:nowhere", "RoleArn": ROLE,
                "Input": '{"attempt": "<aws.scheduler.attempt-number>"}',
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
                "DeadLetterConfig": {"Arn": dead.arn}},
    )["ScheduleArn"]  # fmt: skip
    messages = dead.messages(1, timeout=10, MessageAttributeNames=["All"])
    assert len(messages) == 1
    attributes = {k: v["StringValue"] for k, v in messages[0]["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert "nowhere" in attributes["ERROR_MESSAGE"]
    assert attributes["SCHEDULE_ARN"] == arn
    assert attributes["TARGET_ARN"] == "arn:aws:lambda:us-east-1:000000000000:function:nowhere"
    assert len(attributes["EXECUTION_ID"]) == 16
    # Not found is not worth retrying: straight to the dead-letter queue.
    assert attributes["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attributes
    assert json.loads(messages[0]["Body"]) == {"attempt": "1"}


def test_deleting_the_group_stops_its_schedules(fast, make_queue):
    scheduler, sqs = fast("scheduler"), fast("sqs")
    queue = make_queue(sqs)
    scheduler.create_schedule_group(Name="doomed")
    scheduler.create_schedule(
        Name="in-group", GroupName="doomed", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "x"},
    )  # fmt: skip
    assert queue.messages(1, timeout=10)
    scheduler.delete_schedule_group(Name="doomed")
    time.sleep(0.6)
    queue.messages(10, timeout=0.5)
    assert queue.messages(1, timeout=1.5) == []


def test_a_lambda_target_is_invoked_asynchronously(fast, make_queue):
    scheduler, sqs, lam = fast("scheduler"), fast("sqs"), fast("lambda")
    queue = make_queue(sqs)
    source = (
        "import boto3, json\n"
        "def handler(event, context):\n"
        f"    boto3.client('sqs').send_message(QueueUrl={queue.url!r}, MessageBody=json.dumps(event))\n"
    )
    lam.create_function(
        FunctionName="scheduled-fn", Runtime="python3.12", Role=ROLE, Handler="h.handler",
        Code={"ZipFile": zip_bytes({"h.py": source})},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="scheduled-fn", WaiterConfig={"Delay": 0.1})
    scheduler.create_schedule(
        Name="to-lambda", ScheduleExpression=at(1), FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:lambda:us-east-1:000000000000:function:scheduled-fn", "RoleArn": ROLE,
                "Input": json.dumps({"job": "<aws.scheduler.schedule-arn>"})},
    )  # fmt: skip
    bodies = queue.bodies(1, timeout=30)
    assert bodies == [{"job": "arn:aws:scheduler:us-east-1:000000000000:schedule/default/to-lambda"}]


def test_an_input_sealed_with_kms_is_delivered_until_the_key_is_disabled(fast, make_queue):
    scheduler, sqs, kms = fast("scheduler"), fast("sqs"), fast("kms")
    queue, dead = make_queue(sqs), make_queue(sqs)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    scheduler.create_schedule(
        Name="sealed", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        KmsKeyArn=f"arn:aws:kms:us-east-1:000000000000:key/{key}",
        Target={"Arn": queue.arn, "RoleArn": ROLE, "Input": "secret payload",
                "RetryPolicy": {"MaximumRetryAttempts": 0}, "DeadLetterConfig": {"Arn": dead.arn}},
    )  # fmt: skip
    assert [m["Body"] for m in queue.messages(1, timeout=10)][:1] == ["secret payload"]
    kms.disable_key(KeyId=key)
    messages = dead.messages(1, timeout=10, MessageAttributeNames=["All"])
    assert messages and messages[0]["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "DisabledException"
    scheduler.delete_schedule(Name="sealed")


def test_universal_targets_of_rest_and_camel_case_apis(fast):
    scheduler, s3, logs = fast("scheduler"), fast("s3"), fast("logs")
    s3.create_bucket(Bucket="scheduled-reports")
    logs.create_log_group(logGroupName="scheduled")
    logs.create_log_stream(logGroupName="scheduled", logStreamName="runs")
    scheduler.create_schedule(
        Name="s3-put", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:s3:putObject", "RoleArn": ROLE, "Input": json.dumps(
            {"Bucket": "scheduled-reports", "Key": "latest", "Body": "aGVsbG8=", "ContentType": "text/plain"})},
    )  # fmt: skip
    scheduler.create_schedule(
        Name="log-put", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:cloudwatchlogs:putLogEvents", "RoleArn": ROLE,
                "Input": json.dumps({"LogGroupName": "scheduled", "LogStreamName": "runs", "LogEvents": [
                    {"Timestamp": int(time.time() * 1000), "Message": "run <aws.scheduler.execution-id>"}]})},
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = [
            e["message"]
            for e in logs.get_log_events(logGroupName="scheduled", logStreamName="runs")["events"]
        ]
        if messages:
            break
        time.sleep(0.2)
    assert messages and messages[0].startswith("run ") and len(messages[0]) == 4 + 16
    stored = s3.get_object(Bucket="scheduled-reports", Key="latest")
    assert stored["Body"].read() == b"hello" and stored["ContentType"] == "text/plain"
    scheduler.delete_schedule(Name="s3-put")
    scheduler.delete_schedule(Name="log-put")


def test_a_schedule_whose_target_deletes_it_stays_deleted(fast):
    scheduler = fast("scheduler")
    scheduler.create_schedule(
        Name="self-deleting", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:scheduler:deleteSchedule", "RoleArn": ROLE,
                "Input": json.dumps({"Name": "self-deleting"})},
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and scheduler.list_schedules(NamePrefix="self-deleting")["Schedules"]:
        time.sleep(0.2)
    assert scheduler.list_schedules(NamePrefix="self-deleting")["Schedules"] == []
    time.sleep(1)  # two more minutes on the fast clock: it does not come back
    assert scheduler.list_schedules(NamePrefix="self-deleting")["Schedules"] == []


def test_a_function_of_another_account_is_invoked_through_its_policy(fast):
    import boto3

    def account(number: str):
        session = boto3.session.Session(
            aws_access_key_id=number, aws_secret_access_key="x", region_name="us-east-1"
        )
        endpoint = fast("sts").meta.endpoint_url
        return lambda service: session.client(service, endpoint_url=endpoint)

    owner, scheduling = account("222222222222"), account("111111111111")
    queue = owner("sqs").create_queue(QueueName="cross-account-runs")["QueueUrl"]
    source = (
        "import boto3\n"
        "def handler(event, context):\n"
        f"    boto3.client('sqs').send_message(QueueUrl={queue!r}, MessageBody=event['job'])\n"
    )
    lam = owner("lambda")
    function = lam.create_function(
        FunctionName="shared-job", Runtime="python3.12", Role="arn:aws:iam::222222222222:role/fn", Handler="h.handler",
        Code={"ZipFile": zip_bytes({"h.py": source})},
    )["FunctionArn"]  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="shared-job", WaiterConfig={"Delay": 0.1})
    lam.add_permission(
        FunctionName="shared-job", StatementId="scheduler-account", Action="lambda:InvokeFunction",
        Principal="111111111111",
    )  # fmt: skip
    scheduling("scheduler").create_schedule(
        Name="cross-account", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
        Target={"Arn": function, "RoleArn": "arn:aws:iam::111111111111:role/scheduler", "Input": '{"job": "ran"}'},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    bodies: list[str] = []
    while time.monotonic() < deadline and not bodies:
        answer = owner("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=1)
        bodies = [m["Body"] for m in answer.get("Messages", [])]
    assert bodies == ["ran"]


def test_cloudtrail_records_the_call_as_made_by_the_scheduler(fast):
    scheduler, sqs, cloudtrail = fast("scheduler"), fast("sqs"), fast("cloudtrail")
    scheduler.create_schedule(
        Name="queue-maker", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:createQueue", "RoleArn": ROLE,
                "Input": json.dumps({"QueueName": "made-by-a-schedule"})},
    )  # fmt: skip
    deadline = time.monotonic() + 10
    found: list[dict] = []
    while time.monotonic() < deadline and not found:
        time.sleep(0.3)
        answer = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateQueue"}]
        )
        found = [
            json.loads(e["CloudTrailEvent"])
            for e in answer["Events"]
            if "made-by-a-schedule" in e["CloudTrailEvent"]
        ]
    assert found, "the schedule's CreateQueue was not recorded"
    assert found[0]["sourceIPAddress"] == "scheduler.amazonaws.com"
    assert found[0]["userAgent"] == "scheduler.amazonaws.com"
    assert sqs.get_queue_url(QueueName="made-by-a-schedule")["QueueUrl"]
