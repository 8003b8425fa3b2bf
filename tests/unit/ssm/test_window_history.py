"""A window's execution history keeps 30 days, as AWS's does: older runs are forgotten when
a new one is recorded, newer ones stay."""

from __future__ import annotations

import time

from overcast.services.ssm.window_runs import HISTORY_SECONDS
from overcast.store import scope


def test_runs_older_than_thirty_days_are_forgotten(runtime):
    ssm = runtime.provider("ssm")
    where, window_id, now = scope("000000000000", "us-east-1"), "mw-0123456789abcdef0", time.time()
    ages = {"old": HISTORY_SECONDS + 60, "recent": HISTORY_SECONDS - 60}
    with ssm.store.transaction():
        for name, age in ages.items():
            started = now - age
            ssm.window_runs.put(where, name, {"WindowExecutionId": name, "StartTime": started})
            ssm.window_run_index.put(where, f"{window_id}/{started:020.6f}/{name}", name)
        ssm.window_run_index.put(where, f"mw-other000000000000/{now - 10 * HISTORY_SECONDS:020.6f}/x", "x")
        ssm._forget_old_runs(where, window_id, now)
    assert ssm.window_runs.get(where, "old") is None
    assert ssm.window_runs.get(where, "recent") is not None
    assert [key.rsplit("/", 1)[1] for key, _ in ssm.window_run_index.scan(where, prefix=window_id + "/")] == [
        "recent"
    ]
    # Another window's history is its own.
    assert ssm.window_run_index.count(where, "mw-other000000000000/") == 1
