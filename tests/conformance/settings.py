"""How hard the conformance tests try: one place for both directions.

    OVERCAST_CONFORMANCE_EXAMPLES=N    examples per operation (pytest --conformance-examples N)
    OVERCAST_CONFORMANCE_RANDOM=1      fresh examples each run instead of the reproducible ones
                                       (pytest --conformance-random)
    OVERCAST_CONFORMANCE_SERVICES=all  every service botocore ships, not just services.py's
                                       (pytest --conformance-services all)

The defaults keep the whole conformance run near two minutes on two cores in CI.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def examples(default: int) -> int:
    return int(os.environ.get("OVERCAST_CONFORMANCE_EXAMPLES") or default)


RANDOM = os.environ.get("OVERCAST_CONFORMANCE_RANDOM", "") not in ("", "0")
SERVICES = os.environ.get("OVERCAST_CONFORMANCE_SERVICES", "")


def hypothesis_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        # Reproducible by default, so a CI failure is the same failure on a developer's machine.
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
    )
