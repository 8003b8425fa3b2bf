"""What the parts of RDS share: its errors, ARNs, identifiers, filters and paging."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.errors import ServiceError

if TYPE_CHECKING:
    #: What the provider's parts derive from: to the type checker, the whole provider they make up.
    MixinBase = Any
else:
    MixinBase = object

IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


def not_found(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, 404)


def check_identifier(value: str, what: str = "DBInstanceIdentifier") -> str:
    """AWS's rule for identifiers: 1-63 letters, digits or hyphens, a letter first, no hyphen
    at the end nor two in a row. Stored lowercase, as AWS stores them."""
    if not IDENTIFIER.match(value):
        raise invalid(
            f"The parameter {what} is not a valid identifier. Identifiers must begin with a letter;"
            " must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen"
            " or contain two consecutive hyphens."
        )
    return value.lower()


def arn(context: Any, kind: str, name: str) -> str:
    return build_arn("rds", context.region, context.account, f"{kind}:{name}")


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: float | None = None) -> datetime:
    return datetime.fromtimestamp(moment if moment is not None else time.time(), UTC)


def apply_filters(
    items: Iterable[dict[str, Any]],
    filters: list[dict[str, Any]] | None,
    fields: dict[str, Callable[[dict[str, Any]], Iterable[str] | str | None]],
) -> list[dict[str, Any]]:
    """Items matching every filter (any of its values); a filter name not in `fields` is
    refused as AWS refuses it."""
    items = list(items)
    for flt in filters or []:
        name = flt.get("Name", "")
        values = set(flt.get("Values") or [])
        getter = fields.get(name)
        if getter is None:
            raise invalid(f"Unrecognized filter name: {name}.")
        kept = []
        for item in items:
            got = getter(item)
            got_values = {got} if isinstance(got, str) else set(got or ())
            if got_values & values:
                kept.append(item)
        items = kept
    return items


def check_max_records(params: dict[str, Any], low: int = 20, high: int = 100) -> None:
    given = params.get("MaxRecords")
    if given is not None and not low <= given <= high:
        raise invalid(f"Invalid value {given} for MaxRecords. Must be between {low} and {high}")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
DAILY_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def check_maintenance_window(value: str) -> str:
    if not WINDOW.match(value.lower()):
        raise invalid("Invalid maintenance window format. Must be in the format ddd:hh24:mi-ddd:hh24:mi")
    return value.lower()


def check_backup_window(value: str) -> str:
    match = DAILY_WINDOW.match(value)
    if not match:
        raise invalid("The backup window must be in the format hh24:mi-hh24:mi")
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if (end - start) % 1440 < 30:
        raise invalid("The backup window must be at least 30 minutes.")
    return value


def next_daily(window: str, after: float) -> float:
    """The next start of a daily window hh:mm-hh:mm (UTC) after `after`."""
    hours, minutes = int(window[0:2]), int(window[3:5])
    day = datetime.fromtimestamp(after, UTC).replace(hour=hours, minute=minutes, second=0, microsecond=0)
    due = day.timestamp()
    return due if due > after else due + 86400


def next_weekly(window: str, after: float) -> float:
    """The next start of a weekly window ddd:hh:mm-ddd:hh:mm (UTC) after `after`."""
    day, hours, minutes = WEEKDAYS.index(window[0:3]), int(window[4:6]), int(window[7:9])
    moment = datetime.fromtimestamp(after, UTC)
    start = moment.replace(hour=hours, minute=minutes, second=0, microsecond=0).timestamp()
    start += ((day - moment.weekday()) % 7) * 86400
    return start if start > after else start + 7 * 86400
