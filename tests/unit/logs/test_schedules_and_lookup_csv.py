"""AWS schedule expressions as Logs' scheduled queries accept them, and the CSV checks of
lookup tables."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.logs.lookuptables import parse_csv
from overcast.services.logs.schedules import valid_schedule


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(15 minutes)",
        "rate(1 day)",
        "cron(0 12 * * ? *)",
        "cron(0/15 8-17 ? * MON-FRI *)",
        "cron(0 9 L * ? 2030)",
        "cron(0 9 15W * ? *)",
        "cron(0 9 ? * 6#3 *)",
        "cron(0 9 ? * 2L *)",
        "cron(5,35 14 * JAN-MAR ? *)",
    ],
)
def test_accepted(expression):
    assert valid_schedule(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(5 weeks)",
        "cron(0 12 * * * *)",  # both day fields given
        "cron(0 12 ? * ? *)",  # neither given
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 * 13 ? *)",
        "cron(0 12 ? * FOO *)",
        "cron(0 12 ? * 6#6 *)",
        "cron(0 12 * * ? 1969)",
        "cron(0 12 * * ?)",
        "cron(0/0 12 * * ? *)",
        "at(2030-01-01T00:00:00)",
        "",
    ],
)
def test_refused(expression):
    assert not valid_schedule(expression)


def test_csv_columns_and_record_count():
    assert parse_csv('id,"full name"\n1,"Doe, Jane"\n2,Bob\n') == (["id", "full name"], 2)
    assert parse_csv("only\n") == (["only"], 0)


@pytest.mark.parametrize("body", ["", "a,b\n1\n", "a,a\n", "a,,c\n", 'a\n"unterminated\n'])
def test_csv_refused(body):
    with pytest.raises(ServiceError) as raised:
        parse_csv(body)
    assert raised.value.code == "InvalidParameterException"
