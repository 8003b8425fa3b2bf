"""The Run Command state machine: invocation moves and the command status they add up to."""

from __future__ import annotations

import pytest

from overcast.services.ssm import runs


def _command(max_errors: str = "0") -> dict:
    return {"Status": "Pending", "StatusDetails": "Pending", "MaxErrors": max_errors}


def _invocation(status: str = "Pending") -> dict:
    return {"Status": status, "StatusDetails": runs.DETAILS[status]}


def test_no_targets_is_success_at_once():
    command = _command()
    runs.settle(command, [])
    assert (command["Status"], command["TargetCount"], command["CompletedCount"]) == ("Success", 0, 0)


def test_progress_then_outcome_within_max_errors():
    command, first, second = _command("1"), _invocation(), _invocation()
    runs.settle(command, [first, second])
    assert command["Status"] == "Pending"
    runs.move(first, "InProgress")
    runs.settle(command, [first, second])
    assert command["Status"] == "InProgress"
    runs.move(first, "Failed")
    runs.move(second, "InProgress")
    runs.move(second, "Success")
    runs.settle(command, [first, second])
    assert (command["Status"], command["ErrorCount"], command["CompletedCount"]) == ("Success", 1, 2)


def test_errors_beyond_max_errors_fail_the_command():
    command, only = _command("0"), _invocation("InProgress")
    runs.move(only, "TimedOut")
    assert only["StatusDetails"] == "Execution Timed Out"
    runs.settle(command, [only])
    assert command["Status"] == "TimedOut"
    percent, invocations = _command("50%"), [_invocation("InProgress") for _ in range(4)]
    for invocation, outcome in zip(invocations, ("Failed", "Failed", "Failed", "Success"), strict=True):
        runs.move(invocation, outcome)
    runs.settle(percent, invocations)
    assert percent["Status"] == "Failed"


def test_cancel_moves_pending_and_running_invocations():
    command, waiting, running = _command(), _invocation(), _invocation("InProgress")
    changed = runs.cancel(command, [waiting, running])
    assert [i["Status"] for i in changed] == ["Cancelled", "Cancelling"]
    runs.settle(command, [waiting, running])
    assert command["Status"] == "Cancelling"
    runs.move(running, "Cancelled")
    runs.settle(command, [waiting, running])
    assert command["Status"] == "Cancelled"


def test_finished_invocations_do_not_move():
    done = _invocation("InProgress")
    runs.move(done, "Success")
    with pytest.raises(runs.BadMove):
        runs.move(done, "InProgress")
