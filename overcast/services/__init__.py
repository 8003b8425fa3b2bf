"""The emulated services. Each lives in `services/<name>/provider.py` as a `Provider` subclass
with one method per operation, named after it in snake_case (GetCallerIdentity →
get_caller_identity). A service is imported on its first request. botocore's hyphenated names
live in packages with underscores (application-autoscaling in application_autoscaling/, rds-data
in rds_data/), as Python needs."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

#: Services started with the server rather than on their first request, because they watch
#: every request (CloudTrail's audit, IAM's enforcement) or own background work.
AUTOSTART: frozenset[str] = frozenset({"cloudtrail"})


@lru_cache(maxsize=1)
def implemented() -> frozenset[str]:
    """Services that have a provider, by botocore service name (found on disk, not imported)."""
    here = Path(__file__).parent
    return frozenset(
        module.name.replace("_", "-")
        for module in pkgutil.iter_modules([str(here)])
        if module.ispkg and (here / module.name / "provider.py").exists()
    )


def provider_class(service: str):
    module = importlib.import_module(f"overcast.services.{service.replace('-', '_')}.provider")
    return module.Provider
