"""Schedules and schedule groups through boto3: the default group, CRUD, listings with their
filters and pages, tags on groups, and AWS's refusals of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE

QUEUE = "arn:aws:sqs:us-east-1:000000000000:somewhere"
OFF = {"Mode": "OFF"}


def create(scheduler, name: str, **kwargs) -> str:
    kwargs.setdefault("ScheduleExpression", "rate(5 minutes)")
    kwargs.setdefault("FlexibleTimeWindow", OFF)
    kwargs.setdefault("Target", {"Arn": QUEUE, "RoleArn": ROLE})
    return scheduler.create_schedule(Name=name, **kwargs)["ScheduleArn"]


def refusal(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_the_default_group_exists_and_cannot_be_deleted(scheduler):
    group = scheduler.get_schedule_group(Name="default")
    assert group["Arn"] == "arn:aws:scheduler:us-east-1:000000000000:schedule-group/default"
    assert group["State"] == "ACTIVE"
    assert "default" in [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    code, _, _ = refusal(scheduler.delete_schedule_group, Name="default")
    assert code == "ValidationException"


def test_create_get_update_delete(client, scheduler, name):
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    arn = create(
        scheduler,
        name,
        ScheduleExpression="cron(0 9 ? * MON-FRI *)",
        ScheduleExpressionTimezone="Europe/Paris",
        StartDate=start,
        Description="weekday mornings",
        KmsKeyArn=key,
        Target={"Arn": QUEUE, "RoleArn": ROLE, "Input": '{"hello": "world"}'},
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        ActionAfterCompletion="DELETE",
    )
    assert arn == f"arn:aws:scheduler:us-east-1:000000000000:schedule/default/{name}"
    got = scheduler.get_schedule(Name=name)
    assert got["Arn"] == arn and got["GroupName"] == "default" and got["State"] == "ENABLED"
    assert got["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert got["StartDate"] == start
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert got["ActionAfterCompletion"] == "DELETE"
    assert got["KmsKeyArn"] == key
    assert got["Target"]["Input"] == '{"hello": "world"}'  # stored encrypted, answered in clear
    assert got["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    assert got["CreationDate"] == got["LastModificationDate"]

    # UpdateSchedule replaces every setting: those left out take their defaults again.
    scheduler.update_schedule(
        Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF, State="DISABLED",
        Target={"Arn": QUEUE, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 3}},
    )  # fmt: skip
    got = scheduler.get_schedule(Name=name)
    assert got["ScheduleExpression"] == "rate(1 hour)" and got["State"] == "DISABLED"
    assert "Description" not in got and "StartDate" not in got and "KmsKeyArn" not in got
    assert got["ScheduleExpressionTimezone"] == "UTC" and got["ActionAfterCompletion"] == "NONE"
    assert got["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3}
    assert got["LastModificationDate"] > got["CreationDate"]

    scheduler.delete_schedule(Name=name)
    code, message, status = refusal(scheduler.get_schedule, Name=name)
    assert (code, message, status) == ("ResourceNotFoundException", f"Schedule {name} does not exist.", 404)
    assert refusal(scheduler.delete_schedule, Name=name)[0] == "ResourceNotFoundException"
    assert refusal(scheduler.update_schedule, Name=name, ScheduleExpression="rate(1 hour)",
                   FlexibleTimeWindow=OFF, Target={"Arn": QUEUE, "RoleArn": ROLE})[0] == "ResourceNotFoundException"  # fmt: skip


def test_a_name_is_taken_once_per_group(scheduler, name):
    create(scheduler, name)
    code, message, status = refusal(create, scheduler=scheduler, name=name)
    assert (code, message, status) == ("ConflictException", f"Schedule {name} already exists.", 409)
    scheduler.create_schedule_group(Name=name)
    create(scheduler, name, GroupName=name)  # the same name in another group
    assert scheduler.get_schedule(Name=name, GroupName=name)["Arn"].endswith(f"schedule/{name}/{name}")


def test_groups_tags_and_deleting_a_group_deletes_its_schedules(scheduler, name):
    arn = scheduler.create_schedule_group(Name=name, Tags=[{"Key": "team", "Value": "ops"}])[
        "ScheduleGroupArn"
    ]
    assert arn == f"arn:aws:scheduler:us-east-1:000000000000:schedule-group/{name}"
    code, message, _ = refusal(scheduler.create_schedule_group, Name=name)
    assert (code, message) == ("ConflictException", f"Schedule group {name} already exists.")
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ops"}]
    scheduler.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    scheduler.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    create(scheduler, "one", GroupName=name)
    create(scheduler, "two", GroupName=name)
    assert len(scheduler.list_schedules(GroupName=name)["Schedules"]) == 2
    scheduler.delete_schedule_group(Name=name)
    code, message, status = refusal(scheduler.get_schedule_group, Name=name)
    assert (code, message, status) == (
        "ResourceNotFoundException",
        f"Schedule group {name} does not exist.",
        404,
    )
    assert refusal(scheduler.get_schedule, Name="one", GroupName=name)[0] == "ResourceNotFoundException"
    assert refusal(scheduler.list_tags_for_resource, ResourceArn=arn)[0] == "ResourceNotFoundException"
    assert (
        refusal(create, scheduler=scheduler, name="three", GroupName=name)[0] == "ResourceNotFoundException"
    )


def test_list_schedules_filters_and_pages(scheduler, name):
    scheduler.create_schedule_group(Name=name)
    for index in range(5):
        create(scheduler, f"{name}-a{index}", GroupName=name)
    create(scheduler, f"{name}-b", GroupName=name, State="DISABLED")
    listed = scheduler.list_schedules(GroupName=name)["Schedules"]
    assert [s["Name"] for s in listed] == [f"{name}-a{i}" for i in range(5)] + [f"{name}-b"]
    assert listed[0]["Target"] == {"Arn": QUEUE} and listed[0]["GroupName"] == name
    assert [s["Name"] for s in scheduler.list_schedules(NamePrefix=f"{name}-b")["Schedules"]] == [f"{name}-b"]
    disabled = scheduler.list_schedules(GroupName=name, State="DISABLED")["Schedules"]
    assert [s["Name"] for s in disabled] == [f"{name}-b"]
    pages = scheduler.get_paginator("list_schedules").paginate(
        GroupName=name, PaginationConfig={"PageSize": 2}
    )
    sizes = [len(page["Schedules"]) for page in pages]
    assert sizes == [2, 2, 2]
    assert refusal(scheduler.list_schedules, GroupName=f"{name}-none")[0] == "ResourceNotFoundException"
    assert refusal(scheduler.list_schedules, NextToken="forged")[0] == "ValidationException"


@pytest.mark.parametrize(
    "changes",
    [
        {"ScheduleExpression": "rate(0 minutes)"},
        {"ScheduleExpression": "cron(0 9 * * * *)"},
        {"ScheduleExpression": "at(2030-13-01T00:00:00)"},
        {"ScheduleExpression": "every day"},
        {"ScheduleExpressionTimezone": "Mars/Olympus"},
        {"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}},
        {"FlexibleTimeWindow": {"Mode": "OFF", "MaximumWindowInMinutes": 5}},
        {"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}},
        {"StartDate": datetime.now(UTC) - timedelta(hours=1)},
        {
            "StartDate": datetime.now(UTC) + timedelta(hours=2),
            "EndDate": datetime.now(UTC) + timedelta(hours=1),
        },
        {"Target": {"Arn": "not-an-arn", "RoleArn": ROLE}},
        {"Target": {"Arn": QUEUE, "RoleArn": "arn:aws:iam::000000000000:user/u"}},
        {"Target": {"Arn": QUEUE, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 186}}},
        {
            "Target": {
                "Arn": QUEUE,
                "RoleArn": ROLE,
                "DeadLetterConfig": {"Arn": "arn:aws:sns:us-east-1:000000000000:t"},
            }
        },
        {"Target": {"Arn": "arn:aws:scheduler:::aws-sdk:sqs:receiveMessage", "RoleArn": ROLE, "Input": "{}"}},
        {"Target": {"Arn": "arn:aws:scheduler:::aws-sdk:sqs:noSuchAction", "RoleArn": ROLE, "Input": "{}"}},
        {"Target": {"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": ROLE, "Input": "[1]"}},
        {"Target": {"Arn": "arn:aws:events:us-east-1:000000000000:event-bus/default", "RoleArn": ROLE}},
        {"KmsKeyArn": "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
    ],
)
def test_bad_input_is_a_validation_error(scheduler, name, changes):
    code, message, status = refusal(create, scheduler=scheduler, name=name, **changes)
    assert (code, status) == ("ValidationException", 400) and message
    assert refusal(scheduler.get_schedule, Name=name)[0] == "ResourceNotFoundException"


def test_names_are_checked(scheduler):
    code, message, _ = refusal(create, scheduler=scheduler, name="bad name!")
    assert code == "ValidationException" and "pattern" in message
    assert refusal(scheduler.create_schedule_group, Name="x" * 65)[0] == "ValidationException"


def test_tags_belong_to_groups_only(scheduler, name):
    arn = create(scheduler, name)
    assert refusal(scheduler.tag_resource, ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])[0] == (
        "ValidationException"
    )


def test_universal_target_input_is_kept_as_given(scheduler, name):
    text = json.dumps(
        {"QueueUrl": "http://localhost/000000000000/q", "MessageBody": "<aws.scheduler.execution-id>"}
    )
    create(
        scheduler,
        name,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": ROLE, "Input": text},
    )
    assert scheduler.get_schedule(Name=name)["Target"]["Input"] == text


def test_a_request_repeated_with_its_client_token_answers_as_the_first(scheduler, name):
    first = create(scheduler, name, ClientToken="token-1")
    assert create(scheduler, name, ClientToken="token-1") == first
    assert refusal(create, scheduler=scheduler, name=name, ClientToken="token-2")[0] == "ConflictException"
    group = scheduler.create_schedule_group(Name=name, ClientToken="token-3")["ScheduleGroupArn"]
    assert scheduler.create_schedule_group(Name=name, ClientToken="token-3")["ScheduleGroupArn"] == group


def test_an_account_holds_at_most_500_schedule_groups():
    from tests.conftest import Server

    from .conftest import clients

    server = Server("--ephemeral", "--quiet")
    try:
        scheduler = clients(server)("scheduler")
        for index in range(499):  # with "default", 500
            scheduler.create_schedule_group(Name=f"g{index}")
        code, _, status = refusal(scheduler.create_schedule_group, Name="one-too-many")
        assert (code, status) == ("ServiceQuotaExceededException", 402)
        scheduler.delete_schedule_group(Name="g0")
        scheduler.create_schedule_group(Name="one-too-many")
    finally:
        server.stop()
