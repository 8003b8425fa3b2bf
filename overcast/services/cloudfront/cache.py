"""The edge cache: responses by cache key, kept for the TTL the behaviour and the origin's
Cache-Control/Expires decide, purged by invalidations. In memory (an edge cache is not
durable in AWS either), bounded in bytes, least recently used first out."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

#: Bytes the cache holds before it drops its least recently used responses.
MAX_BYTES = 256 * 1024 * 1024
#: A response larger than this is served but not cached.
MAX_ENTRY = 32 * 1024 * 1024


@dataclass(slots=True)
class Entry:
    status: int
    headers: dict[str, str]
    body: bytes
    stored: float
    expires: float
    path: str


CacheKey = tuple[Any, ...]


class EdgeCache:
    def __init__(self) -> None:
        self.entries: OrderedDict[CacheKey, Entry] = OrderedDict()
        self.size = 0

    def get(self, key: CacheKey) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: CacheKey, entry: Entry) -> None:
        if len(entry.body) > MAX_ENTRY:
            return
        if key in self.entries:
            self._drop(key)
        self.entries[key] = entry
        self.size += len(entry.body)
        while self.size > MAX_BYTES and self.entries:
            self._drop(next(iter(self.entries)))

    def _drop(self, key: CacheKey) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry.body)

    def invalidate(self, distribution: str, paths: list[str]) -> int:
        """Drop the distribution's (or "{distribution}/{tenant}"'s) responses whose path an
        invalidation path names: exactly, or by the prefix before a trailing `*`. Returns how
        many were dropped."""
        exact = {path for path in paths if not path.endswith("*")}
        prefixes = tuple(path[:-1] for path in paths if path.endswith("*"))
        tenants = distribution + "/"  # a distribution's invalidation reaches its tenants' copies
        doomed = [
            key
            for key, entry in self.entries.items()
            if (key[0] == distribution or key[0].startswith(tenants))
            and (entry.path in exact or entry.path.startswith(prefixes or ("\0",)))
        ]
        for key in doomed:
            self._drop(key)
        return len(doomed)

    def forget(self, distribution: str | None = None) -> None:
        if distribution is None:
            self.entries.clear()
            self.size = 0
            return
        self.invalidate(distribution, ["/*"])


def directives(cache_control: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.lower()] = value.strip().strip('"')
    return found


def ttl_for(headers: dict[str, str], minimum: int, default: int, maximum: int) -> float:
    """How long CloudFront keeps a response, by AWS's documented rules: s-maxage or max-age
    within [MinTTL, MaxTTL]; no-cache, no-store or private → MinTTL (0: not cached); an Expires
    date within the same bounds; neither → DefaultTTL."""
    if maximum <= 0:
        return 0
    control = headers.get("cache-control")
    if control:
        found = directives(control)
        if "no-store" in found or "no-cache" in found or "private" in found:
            return float(minimum)
        age = found.get("s-maxage") or found.get("max-age")
        if age is not None and age.isdigit():
            return float(min(max(int(age), minimum), maximum))
    expires = headers.get("expires")
    if expires:
        try:
            remaining = parsedate_to_datetime(expires).timestamp() - time.time()
        except (TypeError, ValueError):
            remaining = 0
        return float(min(max(remaining, minimum), maximum))
    return float(min(max(default, minimum), maximum))
