"""When a schedule fires next (at, rate, cron in a timezone, StartDate and EndDate), where a
flexible window puts it, and how retries are spaced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overcast.services.scheduler.firing import fire_at, next_due
from overcast.services.scheduler.targets import retry_delays


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def record(expression: str, **extra) -> dict:
    return {
        "ScheduleExpression": expression,
        "ScheduleExpressionTimezone": "UTC",
        "Anchor": epoch("2030-01-01T00:00:00+00:00"),
        **extra,
    }


def test_at_fires_once_at_its_wall_clock_in_its_timezone():
    paris = record("at(2030-06-01T09:30:00)", ScheduleExpressionTimezone="Europe/Paris")
    due = epoch("2030-06-01T07:30:00+00:00")  # summer time: UTC+2
    assert next_due(paris, epoch("2030-05-01T00:00:00+00:00")) == due
    assert next_due(paris, due) is None  # fired: nothing left
    # A time already past: when the schedule is first planned it is due at once.
    assert next_due(paris, epoch("2031-01-01T00:00:00+00:00")) is None
    assert next_due(paris, epoch("2031-01-01T00:00:00+00:00"), first=True) == due


def test_rate_counts_from_creation_or_from_its_start_date():
    created = record("rate(5 minutes)")
    # Without a StartDate it "starts invoking the target immediately", then every period.
    assert next_due(created, created["Anchor"], first=True) == created["Anchor"]
    assert next_due(created, created["Anchor"]) == created["Anchor"] + 300
    assert next_due(created, created["Anchor"] + 301) == created["Anchor"] + 600
    start = datetime(2030, 1, 2, 12, 0, 7, tzinfo=UTC)
    started = record("rate(5 minutes)", StartDate=start)
    assert next_due(started, epoch("2030-01-01T00:00:00+00:00")) == start.timestamp()  # the StartDate itself
    assert next_due(started, start.timestamp()) == start.timestamp() + 300


def test_cron_matches_the_calendar_of_its_timezone():
    # 09:00 on weekdays in New York: 14:00 UTC in winter, 13:00 UTC in summer.
    new_york = record("cron(0 9 ? * MON-FRI *)", ScheduleExpressionTimezone="America/New_York")
    assert next_due(new_york, epoch("2030-01-04T15:00:00+00:00")) == epoch(
        "2030-01-07T14:00:00+00:00"
    )  # Fri→Mon
    assert next_due(new_york, epoch("2030-07-01T00:00:00+00:00")) == epoch("2030-07-01T13:00:00+00:00")


def test_start_and_end_dates_bound_a_recurring_schedule():
    start = datetime(2030, 3, 1, tzinfo=UTC)
    end = datetime(2030, 3, 1, 0, 3, tzinfo=UTC)
    bounded = record("cron(* * * * ? *)", StartDate=start, EndDate=end)
    assert next_due(bounded, epoch("2030-01-01T00:00:00+00:00")) == start.timestamp()
    assert next_due(bounded, epoch("2030-03-01T00:02:00+00:00")) == end.timestamp()  # the EndDate is included
    assert next_due(bounded, end.timestamp()) is None
    rate = record("rate(1 minute)", EndDate=datetime.fromtimestamp(epoch("2030-01-01T00:02:30+00:00"), UTC))
    assert next_due(rate, rate["Anchor"] + 60) == rate["Anchor"] + 120
    assert next_due(rate, rate["Anchor"] + 120) is None


def test_an_unparseable_expression_never_fires():
    assert next_due(record("rate(0 minutes)"), 0.0) is None


def test_a_flexible_window_picks_a_moment_within_it():
    flexible = {"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}}
    moments = {fire_at(flexible, 1000.0) for _ in range(200)}
    assert all(1000.0 <= moment <= 1600.0 for moment in moments)
    assert len(moments) > 100  # drawn, not fixed
    assert fire_at({"FlexibleTimeWindow": {"Mode": "OFF"}}, 1000.0) == 1000.0


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"MaximumRetryAttempts": 0}, ()),
        ({"MaximumRetryAttempts": 3}, (1.0, 2.0, 4.0)),
        ({"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60}, (1.0, 2.0, 4.0, 8.0, 16.0)),
    ],
)
def test_retries_back_off_and_stop_at_the_maximum_age(policy, expected):
    assert retry_delays({"RetryPolicy": policy}, 1.0) == expected
    assert retry_delays({"RetryPolicy": policy}, 2.0) == tuple(delay / 2 for delay in expected)


def test_the_default_policy_is_185_retries_within_a_day():
    delays = retry_delays({}, 1.0)
    assert sum(delays) <= 86400 and max(delays) == 300.0
    assert len(delays) == 185  # 185 retries, the last ones five minutes apart, fit in a day


def test_daylight_saving_skips_a_missing_wall_time_and_runs_a_repeated_one_once():
    berlin = record("cron(30 2 * * ? *)", ScheduleExpressionTimezone="Europe/Berlin")
    # 2030-03-31: clocks go from 02:00 to 03:00, there is no 02:30 that day.
    assert next_due(berlin, epoch("2030-03-30T12:00:00+00:00")) == epoch("2030-04-01T00:30:00+00:00")
    # 2030-10-27: 02:30 comes twice (summer time, then winter time): it runs the first time only.
    first = next_due(berlin, epoch("2030-10-26T12:00:00+00:00"))
    assert first == epoch("2030-10-27T00:30:00+00:00")
    assert next_due(berlin, first) == epoch("2030-10-28T01:30:00+00:00")
