"""The per-operation plan caches every parser (and validation) keeps.

Plans are compiled on first use and then only read. Compiling shares converters between
operations and publishes a recursive shape's converter before its members are filled in, so
two threads compiling at once could hand one of them a half-built converter: all compiling
happens under one lock, and a plan is published only once complete. Reading takes no lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

COMPILE_LOCK = threading.RLock()
#: What a cache answers for a plan not built yet (None is a valid plan: "nothing to do").
ABSENT: Any = object()


def build_plan_once(cache: dict[Any, Any], key: Hashable, build: Callable[..., T], *args: Any) -> T:
    """The slow path, after `cache.get(key, ABSENT)` came back ABSENT: build under the lock
    unless another thread just did."""
    with COMPILE_LOCK:
        plan = cache.get(key, ABSENT)
        if plan is ABSENT:
            plan = cache[key] = build(*args)
    return plan
