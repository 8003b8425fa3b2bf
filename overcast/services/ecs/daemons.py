"""ECS daemons (a task on every instance of capacity providers): Overcast's engine is one
host, so a daemon runs one task."""

from __future__ import annotations


class DaemonMixin:
    pass
