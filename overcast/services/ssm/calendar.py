"""Change Calendar: a ChangeCalendar document is an iCalendar file whose
`X-CALENDAR-TYPE` (DEFAULT_OPEN or DEFAULT_CLOSED) is its state outside events, and whose
events (VEVENT: DTSTART, DTEND or DURATION, RRULE, EXDATE, TZID) are the opposite state.
GetCalendarState evaluates the calendars at a time: CLOSED when any is closed, and when that
next changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

#: How far ahead the next transition is looked for.
HORIZON = timedelta(days=366)
_DURATION_UNITS = {"W": "weeks", "D": "days", "H": "hours", "M": "minutes", "S": "seconds"}


class CalendarError(ValueError):
    """Content that is not an iCalendar file Change Calendar reads."""


@dataclass(frozen=True)
class Event:
    start: datetime
    length: timedelta
    rule: str | None
    excluded: frozenset[datetime]


@dataclass(frozen=True)
class Calendar:
    default_open: bool
    events: tuple[Event, ...]


def _lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw.strip():
            lines.append(raw.rstrip())
    return lines


def _property(line: str) -> tuple[str, dict[str, str], str]:
    head, sep, value = line.partition(":")
    if not sep:
        raise CalendarError(f"Line {line!r} is not an iCalendar property.")
    name, *params = head.split(";")
    parameters = {}
    for item in params:
        key, _, val = item.partition("=")
        parameters[key.upper()] = val
    return name.upper(), parameters, value


def _moment(value: str, parameters: dict[str, str]) -> datetime:
    zone = UTC
    if "TZID" in parameters:
        try:
            zone = ZoneInfo(parameters["TZID"])  # type: ignore[assignment]
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"Unknown time zone {parameters['TZID']}.") from None
    try:
        if parameters.get("VALUE") == "DATE" or len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d")
            return datetime(day.year, day.month, day.day, tzinfo=zone)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    except ValueError:
        raise CalendarError(f"{value} is not an iCalendar date or date-time.") from None


def _duration(value: str) -> timedelta:
    text = value.lstrip("+")
    if not text.startswith("P"):
        raise CalendarError(f"{value} is not an iCalendar duration.")
    amounts: dict[str, int] = {}
    number = ""
    for char in text[1:]:
        if char.isdigit():
            number += char
        elif char in _DURATION_UNITS and number:
            amounts[_DURATION_UNITS[char]] = int(number)
            number = ""
        elif char != "T":
            raise CalendarError(f"{value} is not an iCalendar duration.")
    return timedelta(**amounts)


def parse(text: str) -> Calendar:
    lines = _lines(text)
    if not lines or lines[0].upper() != "BEGIN:VCALENDAR" or lines[-1].upper() != "END:VCALENDAR":
        raise CalendarError("The content is not an iCalendar VCALENDAR.")
    default_open = True
    events: list[Event] = []
    current: dict[str, tuple[dict[str, str], str]] | None = None
    excluded: list[datetime] = []
    for line in lines[1:-1]:
        name, parameters, value = _property(line)
        if name == "BEGIN" and value.upper() == "VEVENT":
            current, excluded = {}, []
        elif name == "END" and value.upper() == "VEVENT" and current is not None:
            events.append(_event(current, excluded))
            current = None
        elif current is not None:
            if name == "EXDATE":
                excluded.extend(_moment(item, parameters) for item in value.split(","))
            else:
                current[name] = (parameters, value)
        elif name == "X-CALENDAR-TYPE":
            if value not in ("DEFAULT_OPEN", "DEFAULT_CLOSED"):
                raise CalendarError(f"X-CALENDAR-TYPE {value} is neither DEFAULT_OPEN nor DEFAULT_CLOSED.")
            default_open = value == "DEFAULT_OPEN"
    return Calendar(default_open, tuple(events))


def _event(properties: dict[str, tuple[dict[str, str], str]], excluded: list[datetime]) -> Event:
    if "DTSTART" not in properties:
        raise CalendarError("An event has no DTSTART.")
    start = _moment(properties["DTSTART"][1], properties["DTSTART"][0])
    if "DTEND" in properties:
        length = _moment(properties["DTEND"][1], properties["DTEND"][0]) - start
    elif "DURATION" in properties:
        length = _duration(properties["DURATION"][1])
    else:
        all_day = properties["DTSTART"][0].get("VALUE") == "DATE"
        length = timedelta(days=1) if all_day else timedelta(0)
    if length < timedelta(0):
        raise CalendarError("An event ends before it starts.")
    rule = properties.get("RRULE", (None, None))[1]
    if rule:
        from dateutil.rrule import rrulestr

        try:
            rrulestr(rule, dtstart=start)
        except (ValueError, TypeError):
            raise CalendarError(f"RRULE {rule} is not valid.") from None
    return Event(start, length, rule, frozenset(excluded))


def _occurrences(event: Event, after: datetime, before: datetime) -> list[datetime]:
    """Starts of the event's occurrences that overlap [after, before)."""
    if event.rule is None:
        starts = [event.start]
    else:
        from dateutil.rrule import rrulestr

        rule = rrulestr(event.rule, dtstart=event.start)
        starts = list(rule.between(after - event.length - timedelta(seconds=1), before, inc=True))
    return [s for s in starts if s not in event.excluded and s < before and s + event.length > after]


def _in_event(calendar: Calendar, moment: datetime) -> bool:
    for event in calendar.events:
        for start in _occurrences(event, moment, moment + timedelta(microseconds=1)):
            if start <= moment < start + event.length:
                return True
    return False


def is_open(calendar: Calendar, moment: datetime) -> bool:
    return calendar.default_open != _in_event(calendar, moment)


def _edges(calendar: Calendar, after: datetime) -> list[datetime]:
    edges: list[datetime] = []
    for event in calendar.events:
        for start in _occurrences(event, after, after + HORIZON):
            edges.extend(edge for edge in (start, start + event.length) if edge > after)
    return edges


def state(calendars: list[Calendar], moment: datetime) -> tuple[str, datetime | None]:
    """("OPEN" | "CLOSED", when that next changes or None) for the calendars together."""

    def overall(at: datetime) -> bool:
        return all(is_open(calendar, at) for calendar in calendars)

    now_open = overall(moment)
    for edge in sorted({edge for calendar in calendars for edge in _edges(calendar, moment)}):
        if overall(edge) != now_open:
            return ("OPEN" if now_open else "CLOSED"), edge
    return ("OPEN" if now_open else "CLOSED"), None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CalendarError(f"AtTime {text} is not an ISO 8601 time.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class CalendarMixin:
    def get_calendar_state(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        calendars = []
        for name in params["CalendarNames"]:
            document, version = self.document_for_run(context, name)
            if document["DocumentType"] != "ChangeCalendar":
                raise ServiceError(
                    "InvalidDocumentType", f"The document {name} is not a ChangeCalendar document."
                )
            try:
                calendars.append(parse(version["Content"]))
            except CalendarError as error:
                raise ServiceError("UnsupportedCalendarException", str(error)) from None
        try:
            moment = parse_time(params["AtTime"]) if params.get("AtTime") else datetime.now(UTC)
        except CalendarError as error:
            raise ServiceError("ValidationException", str(error)) from None
        current, transition = state(calendars, moment)
        out = {"State": current, "AtTime": iso(moment)}
        if transition is not None:
            out["NextTransitionTime"] = iso(transition)
        return out
