"""Secrets Manager's logic with no server: schedules, passwords and list filters."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from overcast.errors import ServiceError
from overcast.services.secretsmanager.filters import check_filters, matches_filters
from overcast.services.secretsmanager.passwords import PUNCTUATION, random_password
from overcast.services.secretsmanager.schedule import check_rules, next_cron, next_rotation, parse_cron

DAY = 86400.0
NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC).timestamp()  # a Wednesday


def test_days_and_rates_count_from_the_last_rotation():
    assert next_rotation({"AutomaticallyAfterDays": 3}, 100.0, 500.0, DAY) == 100.0 + 3 * DAY
    assert next_rotation({"ScheduleExpression": "rate(10 days)"}, 0.0, 0.0, DAY) == 10 * DAY
    assert next_rotation({"ScheduleExpression": "rate(4 hours)"}, 0.0, 0.0, DAY) == 4 * 3600
    # A shorter day scales every interval.
    assert next_rotation({"AutomaticallyAfterDays": 2}, 0.0, 0.0, 1.0) == 2.0


def test_cron_finds_the_next_match_on_the_calendar():
    after = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert next_cron(parse_cron("cron(0 16 * * ? *)"), after) == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    assert next_cron(parse_cron("cron(0 8 1,15 * ? *)"), after) == datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    assert next_cron(parse_cron("cron(30 2 ? * MON *)"), after) == datetime(2026, 3, 9, 2, 30, tzinfo=UTC)
    assert next_cron(parse_cron("cron(0 0 1 JAN ? 2027)"), after) == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    # The wait until the match is scaled like any other interval.
    at = next_rotation({"ScheduleExpression": "cron(0 16 * * ? *)"}, NOON, NOON, DAY / 4)
    assert at == pytest.approx(NOON + 3600.0)


@pytest.mark.parametrize(
    "rules",
    [
        {"ScheduleExpression": "cron(0 16 * * * *)"},  # both day fields given
        {"ScheduleExpression": "cron(61 16 * * ? *)"},
        {"ScheduleExpression": "rate(2 weeks)"},
        {"ScheduleExpression": "rate(1 day)", "AutomaticallyAfterDays": 1},
        {"AutomaticallyAfterDays": 1, "Duration": "2days"},
    ],
)
def test_rules_aws_refuses(rules):
    with pytest.raises(ServiceError) as error:
        check_rules(rules)
    assert error.value.code == "InvalidParameterException"


def test_passwords_hold_each_included_type_and_nothing_excluded():
    for _ in range(50):
        password = random_password({"PasswordLength": 4})
        assert len(password) == 4
        for chars in (string.ascii_lowercase, string.ascii_uppercase, string.digits, PUNCTUATION):
            assert set(password) & set(chars)
    password = random_password(
        {"PasswordLength": 100, "ExcludeCharacters": "aeiou", "ExcludePunctuation": True}
    )
    assert not set(password) & set("aeiou" + PUNCTUATION)
    with pytest.raises(ServiceError):
        random_password({"PasswordLength": 3})  # four required types do not fit
    assert len(random_password({"PasswordLength": 3, "RequireEachIncludedType": False})) == 3


def secret(name: str, description: str = "", tags: dict | None = None) -> dict:
    return {
        "Name": name,
        "Description": description,
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }


def test_filters_match_words_by_prefix_and_negate():
    prod = secret("prod/db", "Main Database", {"team": "core"})
    assert matches_filters(prod, [{"Key": "name", "Values": ["prod"]}])
    assert not matches_filters(prod, [{"Key": "name", "Values": ["Prod"]}])  # name is case-sensitive
    assert matches_filters(prod, [{"Key": "description", "Values": ["main data"]}])  # description is not
    assert not matches_filters(prod, [{"Key": "description", "Values": ["!main"]}])
    assert matches_filters(
        prod, [{"Key": "tag-key", "Values": ["te"]}, {"Key": "tag-value", "Values": ["core"]}]
    )
    assert matches_filters(prod, [{"Key": "all", "Values": ["CORE"]}])
    assert not matches_filters(prod, [{"Key": "all", "Values": ["staging"]}])


@pytest.mark.parametrize(
    ("item", "message"),
    [({"Values": ["x"]}, "Invalid filter key"), ({"Key": "name"}, "Invalid filter values for key: name")],
)
def test_filters_without_key_or_values_are_refused(item, message):
    with pytest.raises(ServiceError) as error:
        check_filters([item])
    assert (error.value.code, error.value.message) == ("InvalidParameterException", message)
