"""The arithmetic and parsing behind Auto Scaling: Unix cron recurrences in AWS's dialect,
step intervals, capacity adjustments, and the IAM resources its operations name."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from overcast.errors import ServiceError
from overcast.policy import actions
from overcast.services.autoscaling.policies import adjusted, check_steps, step_for
from overcast.services.autoscaling.scheduled import aws_cron, next_due


def _next(recurrence: str, after: datetime) -> datetime:
    fire = aws_cron(recurrence).next_after(after)
    assert fire is not None
    return fire


@pytest.mark.parametrize(
    ("recurrence", "after", "expected"),
    [
        ("0 8 * * *", datetime(2024, 5, 1, 9, 0, tzinfo=UTC), datetime(2024, 5, 2, 8, 0, tzinfo=UTC)),
        # Weekdays: 1-5 is Monday to Friday in Unix cron; 2024-05-04 is a Saturday.
        ("30 6 * * 1-5", datetime(2024, 5, 4, 0, 0, tzinfo=UTC), datetime(2024, 5, 6, 6, 30, tzinfo=UTC)),
        # Sunday is 0 (and 7).
        ("0 0 * * 0", datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 5, tzinfo=UTC)),
        ("0 0 * * 7", datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 5, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2024, 5, 1, 10, 1, tzinfo=UTC), datetime(2024, 5, 1, 10, 15, tzinfo=UTC)),
        ("0 12 1 * *", datetime(2024, 5, 2, tzinfo=UTC), datetime(2024, 6, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_unix_recurrence(recurrence, after, expected):
    assert _next(recurrence, after) == expected


@pytest.mark.parametrize("bad", ["", "* * * *", "61 * * * *", "0 8 * * MON-", "hello"])
def test_bad_recurrence_is_a_validation_error(bad):
    with pytest.raises(ServiceError) as excinfo:
        aws_cron(bad)
    assert excinfo.value.code == "ValidationError"


def test_recurrence_in_a_time_zone_and_end_time():
    start = datetime(2024, 1, 10, tzinfo=UTC).timestamp()
    action = {"Recurrence": "0 9 * * *", "TimeZone": "America/New_York", "StartTime": start}
    due = next_due(action, start)
    assert due == datetime(2024, 1, 10, 14, 0, tzinfo=UTC).timestamp()  # 09:00 EST
    action["EndTime"] = start + 3600
    assert next_due(action, start) is None
    one_time = {"StartTime": start + 60}
    assert next_due(one_time, start) == start + 60
    assert next_due(one_time, start + 120) is None


STEPS = [
    {"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1},
    {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
    {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 3},
]


@pytest.mark.parametrize(("difference", "adjustment"), [(-5, -1), (0, 1), (9.9, 1), (10, 3), (500, 3)])
def test_step_for(difference, adjustment):
    step = step_for(STEPS, difference)
    assert step is not None and step["ScalingAdjustment"] == adjustment


def test_step_checks():
    check_steps(STEPS)
    with pytest.raises(ServiceError):
        check_steps([])
    with pytest.raises(ServiceError):  # a gap between 10 and 20
        check_steps(
            [
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2},
            ]
        )
    with pytest.raises(ServiceError):  # two open upper ends
        check_steps(
            [
                {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 5, "ScalingAdjustment": 2},
            ]
        )


@pytest.mark.parametrize(
    ("current", "kind", "adjustment", "magnitude", "expected"),
    [
        (2, "ChangeInCapacity", 3, None, 5),
        (5, "ChangeInCapacity", -2, None, 3),
        (2, "ExactCapacity", 7, None, 7),
        (10, "PercentChangeInCapacity", 25, None, 12),  # 2.5 rounds toward zero
        (3, "PercentChangeInCapacity", 10, None, 4),  # below one: at least one
        (10, "PercentChangeInCapacity", -25, None, 8),
        (10, "PercentChangeInCapacity", 10, 3, 13),  # MinAdjustmentMagnitude
    ],
)
def test_adjusted(current, kind, adjustment, magnitude, expected):
    assert adjusted(current, kind, adjustment, magnitude) == expected


def test_iam_resources_of_group_operations():
    context = SimpleNamespace(account="111122223333", region="eu-west-1")
    found = actions.resolve(
        "autoscaling", "autoscaling", "SetDesiredCapacity", {"AutoScalingGroupName": "web"}, context, "aws"
    )
    assert found == [
        (
            "autoscaling:SetDesiredCapacity",
            "arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/web",
        )
    ]
    found = actions.resolve(
        "autoscaling",
        "autoscaling",
        "CreateLaunchConfiguration",
        {"LaunchConfigurationName": "lc"},
        context,
        "aws",
    )
    assert found == [
        (
            "autoscaling:CreateLaunchConfiguration",
            "arn:aws:autoscaling:eu-west-1:111122223333:launchConfiguration:*:launchConfigurationName/lc",
        )
    ]
    assert actions.resolve("autoscaling", "autoscaling", "DescribeAutoScalingGroups", {}, context, "aws") == [
        ("autoscaling:DescribeAutoScalingGroups", "*")
    ]
