"""Maintenance-window schedules: the run times AWS documents for cron, rate and at(), time
zones, offsets and the active period."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overcast.errors import ServiceError
from overcast.services.ssm import window_schedule

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # a Monday


def _window(schedule: str, **extra) -> dict:
    return {"Schedule": schedule, "Duration": 2, "Cutoff": 1, "CreatedDate": NOW.timestamp(), **extra}


def _runs(window: dict, count: int = 3) -> list[str]:
    return [window_schedule.render(m, window) for m, _ in window_schedule.upcoming(window, NOW, count)]


def test_cron_in_utc():
    assert _runs(_window("cron(0 2 ? * SUN *)")) == [
        "2026-12-13T02:00Z",
        "2026-12-20T02:00Z",
        "2026-12-27T02:00Z",
    ]


def test_a_leading_seconds_field_is_accepted():
    assert _runs(_window("cron(0 0 2 ? * SUN *)"), 1) == ["2026-12-13T02:00Z"]


def test_nth_weekday_with_an_offset():
    # The third Tuesday at 23:30, two days later: AWS's own example.
    assert _runs(_window("cron(30 23 ? * TUE#3 *)", ScheduleOffset=2), 2) == [
        "2026-12-17T23:30Z",
        "2027-01-21T23:30Z",
    ]


def test_an_offset_never_runs_a_match_from_before_the_window():
    # Daily at 02:00, two days late. Created Monday at noon: the matches of Saturday and Sunday
    # came before the window, so its first run is Thursday's (Tuesday's match), as AWS says.
    window = _window("cron(0 2 * * ? *)", ScheduleOffset=2)
    assert _runs(window, 2) == ["2026-12-10T02:00Z", "2026-12-11T02:00Z"]
    # Once running, the next match after the one run last is the next run's.
    after_first = window_schedule.upcoming(window, NOW, 1)[0]
    window["LastScheduled"] = after_first[1].timestamp()
    assert [
        window_schedule.render(m, window) for m, _ in window_schedule.upcoming(window, after_first[0], 1)
    ] == ["2026-12-11T02:00Z"]


def test_last_day_of_month_and_last_weekday():
    assert _runs(_window("cron(0 1 L * ? *)"), 2) == ["2026-12-31T01:00Z", "2027-01-31T01:00Z"]
    assert _runs(_window("cron(0 1 ? * 6L *)"), 1) == ["2026-12-25T01:00Z"]


def test_a_time_zone_reads_the_cron_in_local_time():
    window = _window("cron(0 9 ? * WED *)", ScheduleTimezone="America/Los_Angeles")
    assert _runs(window, 1) == ["2026-12-09T09:00-08:00"]


def test_rate_counts_from_creation_and_start_date():
    assert _runs(_window("rate(6 hours)"), 2) == ["2026-12-07T18:00Z", "2026-12-08T00:00Z"]
    # Activated later, the window counts its intervals from its start date.
    later = _window("rate(1 day)", StartDate="2027-01-01T00:00:00Z")
    assert _runs(later, 2) == ["2027-01-02T00:00Z", "2027-01-03T00:00Z"]


def test_end_date_stops_the_schedule():
    window = _window("rate(1 day)", EndDate="2026-12-09T06:00:00Z")
    assert _runs(window, 5) == ["2026-12-08T12:00Z"]


def test_at_runs_once():
    window = _window("at(2026-12-24T18:00:00)")
    assert _runs(window) == ["2026-12-24T18:00Z"]
    assert window_schedule.upcoming(window, datetime(2026, 12, 25, tzinfo=UTC), 1) == []


@pytest.mark.parametrize(
    "window",
    [
        _window("cron(0 2 * * * *)"),
        _window("cron(0 2 ? * MON#6 *)"),
        _window("rate(1 fortnight)"),
        _window("rate(1 day)", ScheduleOffset=1),
        _window("cron(0 2 ? * SUN *)", ScheduleTimezone="Nowhere/Else"),
        _window("cron(0 2 ? * SUN *)", Cutoff=2),
    ],
)
def test_refused(window):
    with pytest.raises(ServiceError) as info:
        window_schedule.check(window)
    assert info.value.code == "ValidationException"
