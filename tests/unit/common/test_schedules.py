"""AWS schedule expressions: parsing as AWS accepts them and the next time each fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from overcast.common import schedules


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def next_cron(expression: str, after: str, timezone: str | None = None) -> str:
    schedule = schedules.parse(expression)
    assert isinstance(schedule, schedules.Cron)
    fire = schedule.next_after(at(after), timezone)
    assert fire is not None
    return fire.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 10 * * ? *)", "2024-03-01T09:00", "2024-03-01T10:00"),
        ("cron(0 10 * * ? *)", "2024-03-01T10:00", "2024-03-02T10:00"),
        ("cron(15 12 * * ? *)", "2024-03-01T12:15:30", "2024-03-02T12:15"),
        ("cron(0/15 * * * ? *)", "2024-03-01T09:01", "2024-03-01T09:15"),
        ("cron(0 18 ? * MON-FRI *)", "2024-03-01T19:00", "2024-03-04T18:00"),  # Friday → Monday
        ("cron(0 8 1 * ? *)", "2024-03-01T09:00", "2024-04-01T08:00"),
        ("cron(0 0 L * ? *)", "2024-02-01T00:00", "2024-02-29T00:00"),  # leap year
        ("cron(0 0 L-2 * ? *)", "2024-04-01T00:00", "2024-04-28T00:00"),
        ("cron(0 0 15W * ? *)", "2024-06-01T00:00", "2024-06-14T00:00"),  # the 15th is a Saturday
        ("cron(0 0 1W * ? *)", "2024-06-01T00:00", "2024-06-03T00:00"),  # the 1st is a Saturday
        ("cron(0 0 LW * ? *)", "2024-08-01T00:00", "2024-08-30T00:00"),  # the 31st is a Saturday
        ("cron(0 0 ? * 6L *)", "2024-03-01T00:00", "2024-03-29T00:00"),  # last Friday
        ("cron(0 0 ? * 3#2 *)", "2024-03-01T00:00", "2024-03-12T00:00"),  # second Tuesday
        ("cron(0 0 ? * TUE#2 *)", "2024-03-01T00:00", "2024-03-12T00:00"),
        ("cron(0 12 1 JAN,JUL ? *)", "2024-02-01T00:00", "2024-07-01T12:00"),
        ("cron(0 0 1 1 ? 2030)", "2024-02-01T00:00", "2030-01-01T00:00"),
        ("cron(0 22-2 * * ? *)", "2024-03-01T23:30", "2024-03-02T00:00"),
    ],
)
def test_cron_next_fire(expression, after, expected):
    assert next_cron(expression, after) == expected


def test_cron_in_a_timezone_follows_its_wall_clock():
    # 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.
    assert next_cron("cron(0 9 * * ? *)", "2024-01-10T00:00", "America/New_York") == "2024-01-10T14:00"
    assert next_cron("cron(0 9 * * ? *)", "2024-07-10T00:00", "America/New_York") == "2024-07-10T13:00"


def test_a_cron_expression_that_never_fires_again():
    schedule = schedules.parse("cron(0 0 1 1 ? 1999)")
    assert isinstance(schedule, schedules.Cron)
    assert schedule.next_after(at("2024-01-01T00:00")) is None


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800)],
)
def test_rates(expression, seconds):
    schedule = schedules.parse(expression)
    assert isinstance(schedule, schedules.Rate) and schedule.seconds == seconds
    start = at("2024-01-01T00:00")
    assert schedules.next_fire(schedule, start, start) == start + timedelta(seconds=seconds)


def test_a_rate_counts_its_periods_from_its_start():
    schedule = schedules.parse("rate(10 minutes)")
    start = at("2024-01-01T00:03")
    assert schedules.next_fire(schedule, at("2024-01-01T00:27"), start) == at("2024-01-01T00:33")


def test_at_fires_once_in_its_timezone():
    schedule = schedules.parse("at(2030-05-01T10:00:00)", allow_at=True)
    assert schedules.next_fire(
        schedule, at("2024-01-01T00:00"), at("2024-01-01T00:00"), "Europe/Paris"
    ) == at("2030-05-01T08:00")
    assert schedules.next_fire(schedule, at("2031-01-01T00:00"), at("2024-01-01T00:00")) is None


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "rate(x minutes)",
        "cron(0 10 * * *)",  # five fields
        "cron(0 10 * * * *)",  # neither day field is ?
        "cron(0 10 ? * ? *)",  # both are
        "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * 3#6 *)",
        "cron(0 0 * 13 ? *)",
        "at(2030-05-01T10:00:00)",  # only where the caller allows it
        "every 5 minutes",
    ],
)
def test_malformed_expressions_are_refused(expression):
    with pytest.raises(schedules.ScheduleError):
        schedules.parse(expression)
