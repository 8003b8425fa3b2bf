"""When State Manager runs an association next, and which schedules it accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overcast.errors import ServiceError
from overcast.services.ssm.associations import check_schedule, next_run

NOON = datetime(2030, 1, 4, 12, 0, tzinfo=UTC).timestamp()  # a Friday


def test_rates_count_from_the_last_run():
    assert next_run("rate(30 minutes)", NOON) == NOON + 1800
    assert next_run("rate(2 hours)", NOON) == NOON + 7200
    assert next_run("rate(1 day)", NOON) == NOON + 86400


def test_cron_finds_the_next_match():
    sunday_two = datetime(2030, 1, 6, 2, 0, tzinfo=UTC).timestamp()
    assert next_run("cron(0 2 ? * SUN *)", NOON) == sunday_two
    assert next_run("cron(0 2 ? * SUN *)", sunday_two) == sunday_two + 7 * 86400
    assert next_run("cron(0 0 1 1 ? 2029)", NOON) is None


@pytest.mark.parametrize(
    "expression", ["rate(30 minutes)", "rate(1 hour)", "cron(0 2 ? * SUN *)", "cron(15 10 ? * 6L 2030)"]
)
def test_accepted(expression):
    check_schedule(expression)


@pytest.mark.parametrize(
    "expression",
    ["rate(29 minutes)", "rate(1 hours)", "rate(0 days)", "cron(0 2 * * * *)", "at(2030-01-01T00:00:00)"],
)
def test_refused(expression):
    with pytest.raises(ServiceError) as error:
        check_schedule(expression)
    assert error.value.code == "InvalidSchedule"
