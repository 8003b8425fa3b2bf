"""A small index of every service botocore knows, for routing a request to its service.

Loading all ~420 models takes seconds, so the index is built once per botocore version in a
child process (so the server never holds every model in memory) and cached on disk.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import botocore

from overcast.config import cache_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    protocols: tuple[str, ...]
    signing_name: str
    endpoint_prefix: str
    target_prefix: str
    api_version: str
    #: The host name of a global service's single endpoint (e.g. iam.amazonaws.com), if any.
    global_endpoint: str


def cache_file() -> Path:
    return cache_dir() / f"catalog-botocore-{botocore.__version__}.json"


def build() -> list[dict]:
    from overcast.protocols.models import _loader, available_services, protocols_in

    entries = []
    for name in available_services():
        metadata = _loader().load_service_model(name, "service-2")["metadata"]
        entries.append(
            {
                "name": name,
                "protocols": list(protocols_in(metadata)),
                "signing_name": metadata.get("signingName") or metadata.get("endpointPrefix", name),
                "endpoint_prefix": metadata.get("endpointPrefix", name),
                "target_prefix": metadata.get("targetPrefix", ""),
                "api_version": metadata.get("apiVersion", ""),
                "global_endpoint": metadata.get("globalEndpoint", ""),
            }
        )
    return entries


def _write_cache(entries: list[dict]) -> None:
    path = cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".catalog-")
    with os.fdopen(fd, "w") as f:
        json.dump(entries, f)
    os.replace(tmp, path)


def load() -> list[ServiceInfo]:
    """The catalog, from the cache, else built in a child process (else in this one)."""
    path = cache_file()
    if not path.exists():
        # Seconds of work on a machine's first start (and after a botocore upgrade): said, so
        # that the pause is not mistaken for a hang.
        log.info("building the service catalog (once per botocore version) ...")
        started = time.monotonic()
        try:
            subprocess.run([sys.executable, "-m", "overcast.protocols.catalog"], check=True, timeout=120)
        except (OSError, subprocess.SubprocessError):
            pass
        log.info("service catalog built in %.1fs", time.monotonic() - started)
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = build()
        try:
            _write_cache(entries)
        except OSError:
            pass
    return [ServiceInfo(**{**entry, "protocols": tuple(entry["protocols"])}) for entry in entries]


if __name__ == "__main__":
    _write_cache(build())
