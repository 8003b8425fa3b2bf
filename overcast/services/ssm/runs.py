"""The Run Command state machine: a command's invocations (one per managed node) move
Pending → InProgress → Success | Failed | TimedOut | Cancelled (Cancelling between), and the
command's own status follows from them and its MaxErrors. `finish_invocation` is what a node
reports through (the EC2 work will feed it); a command without targets ends at once."""

from __future__ import annotations

import re
from typing import Any

from overcast.errors import ServiceError

TERMINAL = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})
#: Invocation status → StatusDetails AWS reports with it.
DETAILS = {
    "Pending": "Pending",
    "InProgress": "InProgress",
    "Delayed": "Delayed",
    "Success": "Success",
    "Failed": "Failed",
    "TimedOut": "Execution Timed Out",
    "Cancelled": "Cancelled",
    "Cancelling": "Cancelling",
}
#: Moves an invocation may make.
MOVES: dict[str, frozenset[str]] = {
    "Pending": frozenset({"InProgress", "Delayed", "Cancelling", "Cancelled", "TimedOut"}),
    "Delayed": frozenset({"InProgress", "Cancelling", "Cancelled", "TimedOut"}),
    "InProgress": frozenset({"Success", "Failed", "TimedOut", "Cancelling", "Cancelled"}),
    "Cancelling": frozenset({"Cancelled"}),
}


#: The patterns AWS checks MaxConcurrency and MaxErrors against.
_RATE_PATTERNS = {
    "maxConcurrency": re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$"),
    "maxErrors": re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$"),
}


def check_rate_control(max_concurrency: str | None, max_errors: str | None) -> None:
    """AWS's ValidationException for a MaxConcurrency or MaxErrors outside its pattern."""
    for member, value in (("maxConcurrency", max_concurrency), ("maxErrors", max_errors)):
        pattern = _RATE_PATTERNS[member]
        if value is not None and not pattern.match(value):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern.pattern}",
            )


class BadMove(ValueError):
    """An invocation asked to move where its state machine does not go."""


def move(invocation: dict[str, Any], status: str) -> None:
    current = invocation["Status"]
    if status not in MOVES.get(current, frozenset()):
        raise BadMove(f"{current} → {status}")
    invocation["Status"], invocation["StatusDetails"] = status, DETAILS[status]


def _allowed_errors(max_errors: str, targets: int) -> int:
    if max_errors.endswith("%"):
        return int(targets * int(max_errors[:-1]) / 100)
    return int(max_errors)


def settle(command: dict[str, Any], invocations: list[dict[str, Any]]) -> None:
    """The command's status, details and counts from its invocations'."""
    statuses = [invocation["Status"] for invocation in invocations]
    done = [status for status in statuses if status in TERMINAL]
    errors = sum(status in ("Failed", "TimedOut") for status in statuses)
    command["TargetCount"] = len(invocations)
    command["CompletedCount"] = len(done)
    command["ErrorCount"] = errors
    command["DeliveryTimedOutCount"] = sum(
        invocation.get("StatusDetails") == "Delivery Timed Out" for invocation in invocations
    )
    if len(done) < len(statuses):
        if command["Status"] == "Cancelling":
            return
        status = "Pending" if all(s == "Pending" for s in statuses) else "InProgress"
        details = status
    elif command["Status"] in ("Cancelling", "Cancelled"):
        status, details = "Cancelled", "Cancelled"
    elif errors > _allowed_errors(command.get("MaxErrors", "0"), len(statuses)):
        status = details = "TimedOut" if set(statuses) == {"TimedOut"} else "Failed"
    else:
        status = details = "Success"
    command["Status"], command["StatusDetails"] = status, details


def cancel(command: dict[str, Any], invocations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cancel the invocations not yet finished; returns those that changed."""
    changed = []
    for invocation in invocations:
        if invocation["Status"] not in TERMINAL and invocation["Status"] != "Cancelling":
            move(invocation, "Cancelled" if invocation["Status"] in ("Pending", "Delayed") else "Cancelling")
            changed.append(invocation)
    if changed:
        command["Status"], command["StatusDetails"] = "Cancelling", "Cancelling"
    return changed
