"""Change Calendar evaluation: default states, events, recurrences, exclusions, time zones,
and the next transition across several calendars."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overcast.services.ssm import calendar


def _ical(kind: str, *events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\nUID:{i}\n{event}\nEND:VEVENT\n" for i, event in enumerate(events))
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nX-CALENDAR-TYPE:{kind}\n{body}END:VCALENDAR\n"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_events_close_an_open_calendar_until_they_end():
    open_by_default = calendar.parse(
        _ical("DEFAULT_OPEN", "DTSTART:20300101T100000Z\nDTEND:20300101T120000Z")
    )
    assert calendar.state([open_by_default], _at("2030-01-01T09:00:00")) == (
        "OPEN",
        _at("2030-01-01T10:00:00"),
    )
    assert calendar.state([open_by_default], _at("2030-01-01T10:00:00")) == (
        "CLOSED",
        _at("2030-01-01T12:00:00"),
    )
    assert calendar.state([open_by_default], _at("2030-01-01T12:00:00")) == ("OPEN", None)


def test_events_open_a_closed_calendar():
    closed = calendar.parse(_ical("DEFAULT_CLOSED", "DTSTART:20300101T100000Z\nDURATION:PT30M"))
    assert calendar.state([closed], _at("2030-01-01T10:15:00")) == ("OPEN", _at("2030-01-01T10:30:00"))
    assert calendar.state([closed], _at("2030-01-02T00:00:00"))[0] == "CLOSED"


def test_weekly_recurrence_with_an_exclusion_and_a_time_zone():
    weekly = calendar.parse(
        _ical(
            "DEFAULT_OPEN",
            "DTSTART;TZID=Europe/Paris:20300107T090000\nDTEND;TZID=Europe/Paris:20300107T100000\n"
            "RRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE;TZID=Europe/Paris:20300114T090000",
        )
    )
    assert calendar.state([weekly], _at("2030-01-07T08:30:00"))[0] == "CLOSED"  # 09:30 in Paris
    assert calendar.state([weekly], _at("2030-01-14T08:30:00"))[0] == "OPEN"  # excluded Monday
    assert calendar.state([weekly], _at("2030-01-14T08:30:00"))[1] == _at("2030-01-21T08:00:00")


def test_any_closed_calendar_closes_the_set():
    first = calendar.parse(_ical("DEFAULT_OPEN", "DTSTART:20300101T000000Z\nDTEND:20300102T000000Z"))
    second = calendar.parse(_ical("DEFAULT_OPEN", "DTSTART:20300101T120000Z\nDTEND:20300103T000000Z"))
    assert calendar.state([first, second], _at("2030-01-01T06:00:00")) == (
        "CLOSED",
        _at("2030-01-03T00:00:00"),
    )


@pytest.mark.parametrize(
    "text",
    [
        "not a calendar",
        _ical("SOMETIMES"),
        _ical("DEFAULT_OPEN", "DTEND:20300101T100000Z"),
        _ical("DEFAULT_OPEN", "DTSTART:20300101T100000Z\nDTEND:20300101T090000Z"),
        _ical("DEFAULT_OPEN", "DTSTART:20300101T100000Z\nRRULE:FREQ=SOMETIMES"),
    ],
)
def test_invalid_calendars(text):
    with pytest.raises(calendar.CalendarError):
        calendar.parse(text)
